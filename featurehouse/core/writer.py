"""Writing to a feature group: one atomic offline commit, then the online store.

Insert is an upsert on (primary key, event time). A batch whose keys cannot
match any stored row (the common case: new events, newer than everything stored)
is appended; otherwise it is merged, with the batch's time bounds in the merge
predicate so that the offline store rewrites only the data that can hold a match.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from featurehouse.catalog.records import FeatureGroupSpec
from featurehouse.core.ingest import PreparedBatch, conform_keys
from featurehouse.core.online_sync import sync_online
from featurehouse.core.recovery import reconcile_schema
from featurehouse.core.statistics import recording_commit
from featurehouse.errors import ConflictError, DataError, SchemaError

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.offline.base import OfflineTable

T = TypeVar("T")
COMMIT_ATTEMPTS = 20


@dataclass(frozen=True)
class WriteResult:
    """What one write did. ``version`` is the offline version it committed (the
    version it read when it committed nothing). ``rows_quarantined`` failed the group's
    expectations and went to its quarantine; ``validation_report`` numbers the report."""

    feature_group: str
    version: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    duplicates_dropped: int = 0
    online_rows_written: int = 0
    added_columns: tuple[str, ...] = ()
    attempts: int = 1
    rows_quarantined: int = 0
    validation_report: int | None = None


def with_commit_retry(obj: str, commit: Callable[[], T]) -> tuple[T, int]:
    """Run ``commit`` until no concurrent commit gets in its way (jittered backoff)."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return commit(), attempt
        except ConflictError:
            time.sleep(min(2.0, 0.02 * 2**attempt) * random.random())
    raise ConflictError(f"{obj}: gave up after {COMMIT_ATTEMPTS} conflicting commits", obj=obj)


def insert(
    services: Services, spec: FeatureGroupSpec, batch: PreparedBatch
) -> tuple[FeatureGroupSpec, WriteResult]:
    """Commit ``batch`` offline, record a grown schema, and write it through to the online store."""
    offline = services.offline
    offline.create(spec.table_id, batch.schema, change_feed=spec.online)

    def commit() -> tuple[OfflineTable, int, int, int]:
        table = offline.open(spec.table_id)
        _refuse_retyped_columns(services, spec, table, batch.schema)
        if _cannot_match(services, spec, table, batch.table):
            return table, offline.append(table, batch.table, "insert"), batch.table.num_rows, 0
        match = [*spec.primary_key, spec.event_time]
        written = offline.upsert(table, batch.table, match, spec.event_time, "insert")
        return table, written.version, written.rows_inserted, written.rows_updated

    with recording_commit(services, spec, batch.table) as keep_statistics:
        (table, version, inserted, updated), attempts = with_commit_retry(spec.label, commit)
        # The table holds this commit and every one before it: its schema also brings in a
        # column that a writer killed before recording it added, before the sync replays it.
        spec = reconcile_schema(services, spec, table)
        assert spec.schema is not None
        # A batch prepared without such a column is replayed from the table, which has it.
        own = (version, batch.table) if batch.table.schema.names == spec.schema.names else None
        online_rows = sync_online(services, spec, table, up_to=version, own=own)
        keep_statistics(version)
    return spec, WriteResult(
        feature_group=spec.label,
        version=version,
        rows_inserted=inserted,
        rows_updated=updated,
        duplicates_dropped=batch.duplicates_dropped,
        online_rows_written=online_rows,
        added_columns=batch.added_columns,
        attempts=attempts,
    )


def _refuse_retyped_columns(
    services: Services, spec: FeatureGroupSpec, table: OfflineTable, schema: pa.Schema
) -> None:
    """A concurrent insert may have added one of this batch's new columns with another
    type since the batch was prepared. Checked on the table each commit attempt reads: a
    commit that lands after another one fails (and is retried), so the check stands."""
    retyped = services.offline.retyped_columns(table, schema)
    if retyped:
        name, stored, given = retyped[0]
        raise SchemaError(
            f"feature group {spec.label}: column {name!r} expected {stored} (a concurrent "
            f"insert added it), received {given}",
            obj=spec.label,
            column=name,
            expected=str(stored),
            received=str(given),
        )


def _cannot_match(
    services: Services, spec: FeatureGroupSpec, table: OfflineTable, batch: pa.Table
) -> bool:
    """True when no row of ``batch`` can equal a stored (key, event time): append is safe.
    The store's metadata answers the common case (a batch newer than everything stored)."""
    if services.offline.can_append(table, batch, spec.event_time):
        return True
    dataset = services.offline.dataset(table)
    matches = services.engine.count_matches(
        dataset, batch, [*spec.primary_key, spec.event_time], spec.event_time
    )
    return matches == 0


def delete(
    services: Services, spec: FeatureGroupSpec, keys: Any = None, where: str | None = None
) -> WriteResult:
    """Delete the rows of ``keys`` (all event times, or the given ones), or rows matching ``where``."""
    if (keys is None) == (where is None):
        raise DataError(
            f"feature group {spec.label}: delete needs exactly one of keys= or where=",
            obj=spec.label,
            expected="keys or where",
        )
    if spec.schema is None:
        raise DataError(f"feature group {spec.label}: has no data to delete", obj=spec.label)
    offline = services.offline
    key_table = conform_keys(spec, keys) if keys is not None else None
    predicate = None
    if where is not None:  # parsed and checked whole: the store never sees the user's text
        from featurehouse.core.predicate import delta_predicate

        predicate = delta_predicate(spec.label, where, spec.schema)

    def commit() -> tuple[OfflineTable, int, int]:
        table = offline.open(spec.table_id)
        if key_table is not None:
            written = offline.delete_matching(table, key_table, "delete")
            return table, written.version, written.rows_deleted
        assert predicate is not None
        try:
            written = offline.delete_where(table, predicate, "delete")
        except Exception as exc:
            if isinstance(exc, ConflictError):
                raise
            raise SchemaError(
                f"feature group {spec.label}: cannot delete where {where!r}: {exc}",
                obj=spec.label,
                expected="a SQL predicate over the group's columns",
                received=where,
            ) from exc
        return table, written.version, written.rows_deleted

    (table, version, deleted), attempts = with_commit_retry(spec.label, commit)
    online_rows = sync_online(services, spec, table, up_to=version)
    return WriteResult(
        feature_group=spec.label,
        version=version,
        rows_deleted=deleted,
        online_rows_written=online_rows,
        attempts=attempts,
    )
