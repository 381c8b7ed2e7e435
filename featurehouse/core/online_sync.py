"""Keeping the online store in step with the offline store.

The catalog records, per online feature group, the last offline version applied
online (``online_version``). After each commit the writer applies every version
up to its own: its own rows straight from memory, any version a crashed or
concurrent writer left behind from the offline store's ``changes``. Writes to the online
store are idempotent (the greatest event time wins), so replaying twice is harmless.

A rebuild builds the new rows aside and switches them in atomically (``replace_all``),
so readers never see a half-built table. The catalog marks the rebuild as running
(``online_rebuilding``) until it is done: if the process dies, the next sync (every
write makes one) finishes it. The next sync also rebuilds when the online store has lost
the table (an emptied Redis), which it tells by the table's marker (``holds``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.catalog.base import JsonBody, update_with_retry
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.offline.base import CHANGE_COLUMNS, CHANGE_TYPE, COMMIT_VERSION

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.offline.base import OfflineTable

VERSION = "_fh_version"
REBUILDING = "online_rebuilding"  # in the catalog body: a rebuild started and not finished


def sync_online(
    services: Services,
    spec: FeatureGroupSpec,
    table: OfflineTable,
    up_to: int | None = None,
    own: tuple[int, pa.Table] | None = None,
) -> int:
    """Apply offline versions not yet online, through ``up_to`` (default: the latest).

    ``own`` is ``(version, rows)`` of a commit whose rows the caller holds. Returns the
    number of rows written to the online store.
    """
    if not spec.online or spec.schema is None:
        return 0
    body = services.catalog.get(FEATURE_GROUP, spec.name, spec.version).body
    applied = int(body["online_version"])
    if body.get(REBUILDING) or (applied >= 0 and not services.online.holds(spec.online_table)):
        return rebuild_online(services, spec, table)
    target = table.version() if up_to is None else up_to
    if applied >= target:
        return 0
    written = 0
    replay_end = own[0] - 1 if own is not None and own[0] == target else target
    if replay_end > applied:
        written += _replay(services, spec, table, applied + 1, replay_end)
    if own is not None and own[0] == target:
        rows = services.engine.last_per_group(own[1], spec.primary_key, order=spec.event_time)
        services.online.write_latest(spec.online_table, rows, versions=own[0])
        written += rows.num_rows
    _advance(services, spec, target)
    return written


def _replay(
    services: Services, spec: FeatureGroupSpec, table: OfflineTable, start: int, end: int
) -> int:
    changes = services.offline.changes(table, start, end)
    if changes.num_rows == 0:
        return 0
    # The change feed comes in no particular order: put it in commit order so that, of
    # two corrections of one (key, event time), the later commit's is kept below.
    # (Arrow cannot reorder its string views: the columns are cast first.)
    order = pc.sort_indices(changes.column(COMMIT_VERSION))
    kind = changes.column(CHANGE_TYPE).cast("string").take(order)
    versions = changes.column(COMMIT_VERSION).cast("int64").take(order)
    data = changes.drop_columns([c for c in CHANGE_COLUMNS if c in changes.column_names])
    data = _align(data, spec.schema).take(order).append_column(VERSION, versions)
    upserts = data.filter(pc.is_in(kind, pa.array(["insert", "update_postimage"])))
    deletes = data.filter(pc.equal(kind, "delete")).select(list(spec.primary_key))
    online_table = spec.online_table
    written = 0
    if upserts.num_rows:
        latest = services.engine.last_per_group(upserts, spec.primary_key, order=spec.event_time)
        stamps = latest.column(VERSION).to_pylist()
        services.online.write_latest(online_table, latest.drop_columns([VERSION]), stamps)
        written += latest.num_rows
    if deletes.num_rows:
        written += repair_keys(services, spec, table, deletes)
    return written


def repair_keys(
    services: Services, spec: FeatureGroupSpec, table: OfflineTable, keys: pa.Table
) -> int:
    """Set the online rows of ``keys`` to what the offline table holds now (or remove them)."""
    keys = services.engine.last_per_group(keys, spec.primary_key)
    dataset = services.offline.dataset(table)
    truth = _align(services.engine.latest_rows(dataset, keys, spec.event_time), spec.schema)
    online_table = spec.online_table
    if truth.num_rows:
        services.online.overwrite(online_table, truth, versions=table.version())
    present = set(zip(*(truth.column(c).to_pylist() for c in spec.primary_key), strict=True))
    gone = [
        k
        for k in zip(*(keys.column(c).to_pylist() for c in spec.primary_key), strict=True)
        if k not in present
    ]
    if gone:
        services.online.delete(online_table, gone)
    return int(truth.num_rows) + len(gone)


def rebuild_online(services: Services, spec: FeatureGroupSpec, table: OfflineTable) -> int:
    """Replace the online rows with the latest row per key of the whole offline table,
    in one atomic switch; a crash before the end leaves it to the next sync to finish."""
    _set_rebuilding(services, spec)
    rows = services.engine.scan(services.offline.dataset(table))
    latest = services.engine.last_per_group(
        _align(rows, spec.schema), spec.primary_key, order=spec.event_time
    )
    services.online.replace_all(spec.online_table, latest, versions=table.version())
    _advance(services, spec, table.version(), force=True)
    return int(latest.num_rows)


def _align(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """Columns in schema order; columns added after these rows were written come as nulls."""
    assert schema is not None
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _advance(services: Services, spec: FeatureGroupSpec, version: int, force: bool = False) -> None:
    """Record ``version`` as applied online; ``force`` (a finished rebuild) also lowers it
    and ends the rebuild."""

    def change(body: JsonBody) -> JsonBody | None:
        if force:
            return {**body, "online_version": version, REBUILDING: False}
        if body["online_version"] >= version:
            return None
        return {**body, "online_version": version}

    update_with_retry(services.catalog, FEATURE_GROUP, spec.name, spec.version, change)


def _set_rebuilding(services: Services, spec: FeatureGroupSpec) -> None:
    def change(body: JsonBody) -> JsonBody | None:
        return None if body.get(REBUILDING) else {**body, REBUILDING: True}

    update_with_retry(services.catalog, FEATURE_GROUP, spec.name, spec.version, change)
