"""Reading a feature view: point-in-time joins offline, and feature vectors online.

Both paths follow one plan (``view_plan``), so training data, batch data and online
vectors cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa

from featurehouse.core.feature_group import read_online, read_online_table
from featurehouse.core.frames import to_arrow
from featurehouse.core.view_plan import HIDDEN, SourcePlan, ViewPlan
from featurehouse.engine.base import AsOfSource
from featurehouse.errors import DataError, SchemaError
from featurehouse.transforms.on_demand import arrow_type, check_request_value
from featurehouse.types import conform_column

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.offline.base import OfflineTable
    from featurehouse.online.base import Found

Versions = dict[str, int]  # feature group label -> offline version read


def open_tables(
    services: Services, plan: ViewPlan, versions: Mapping[str, int] | None = None
) -> dict[str, OfflineTable]:
    """Each group's offline table, at ``versions`` (as recorded) or the latest."""
    return {
        s.group.label: services.offline.open(
            s.group.table_id, None if versions is None else versions[s.group.label]
        )
        for s in plan.sources
    }


def conform_spine(obj: str, plan: ViewPlan, data: Any) -> pa.Table:
    """The spine with its keys and event time in the view's types; refused if it cannot be."""
    spine = to_arrow(obj, data)
    required = [*plan.keys, plan.event_time]
    missing = [c for c in required if c not in spine.column_names]
    if missing:
        raise SchemaError(
            f"{obj}: the spine needs the entity key and event-time columns {required}; "
            f"missing {missing}",
            obj=obj,
            column=missing[0],
            expected=required,
            received=spine.column_names,
        )
    spine_labels = [label for label in plan.labels if label not in plan.label_features]
    missing_labels = [label for label in spine_labels if label not in spine.column_names]
    if missing_labels:
        raise SchemaError(
            f"{obj}: label(s) {missing_labels} are not features of the view, so the spine "
            "must hold them",
            obj=obj,
            column=missing_labels[0],
            expected=spine_labels,
            received=spine.column_names,
        )
    missing_request = [name for name in plan.request if name not in spine.column_names]
    if missing_request:
        raise SchemaError(
            f"{obj}: on-demand features take request parameter(s) {missing_request}; offline, "
            "the spine must hold them",
            obj=obj,
            column=missing_request[0],
            expected=list(plan.request),
            received=spine.column_names,
        )
    outputs = {o for s in plan.sources for o in s.outputs} | {f.name for f in plan.on_demand}
    clashes = sorted(outputs.intersection(spine.column_names))
    if clashes:
        raise SchemaError(
            f"{obj}: spine column(s) {clashes} have the names of features of the view; "
            "rename them in the spine",
            obj=obj,
            column=clashes[0],
            received=spine.column_names,
        )
    columns = []
    for name in spine.column_names:
        column = spine.column(name)
        if name in required:
            column = conform_column(obj, name, column, plan.types[name])
        elif name in plan.request:
            column = conform_column(obj, name, column, arrow_type(plan.request[name]))
        columns.append(column)
    spine = pa.Table.from_arrays(columns, names=spine.column_names)
    if spine.column(plan.event_time).null_count:
        raise DataError(
            f"{obj}: the spine has null event times in {plan.event_time!r}",
            obj=obj,
            column=plan.event_time,
            expected="no nulls",
        )
    return spine


def _source(services: Services, source: SourcePlan, table: OfflineTable) -> AsOfSource:
    return AsOfSource(
        dataset=services.offline.dataset(table),
        keys=source.group.primary_key,
        left_on=source.left_on,
        event_time=source.group.event_time,
        columns=source.columns,
        ttl=source.group.ttl,
    )


def training_rows(
    services: Services,
    plan: ViewPlan,
    tables: Mapping[str, OfflineTable],
    spine: pa.Table | None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pa.Table:
    """Keys, event time, features, labels (and other spine columns), point-in-time correct.

    Without a spine, the root group's rows in ``[start, end)`` are the spine.
    """
    root = plan.sources[0]
    if spine is None:
        spine = _root_rows(services, plan, tables[root.group.label], start, end)
        sources = plan.sources[1:]
    else:
        sources = plan.sources
    joined = services.engine.as_of_join(
        spine, plan.event_time, [_source(services, s, tables[s.group.label]) for s in sources]
    )
    for feature in plan.on_demand:
        inputs = {name: joined.column(name) for name in feature.input_names}
        joined = joined.append_column(feature.name, feature.compute(inputs, joined.num_rows))
    present = [c for c in plan.columns if c in joined.column_names]  # batch spines hold no labels
    extra = [c for c in spine.column_names if c not in plan.columns and not c.startswith(HIDDEN)]
    return joined.select([*present, *extra])


def _root_rows(
    services: Services,
    plan: ViewPlan,
    table: OfflineTable,
    start: datetime | None,
    end: datetime | None,
) -> pa.Table:
    root = plan.sources[0]
    names = [*plan.keys, plan.event_time, *(c for c, _ in root.columns)]
    rows = services.engine.scan(services.offline.dataset(table), names, plan.event_time, start, end)
    renamed = dict(root.columns)
    return rows.rename_columns([renamed.get(c, c) for c in rows.column_names])


def feature_vectors(
    services: Services,
    plan: ViewPlan,
    entities: list[tuple[Any, ...]],
    requests: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[bool]]:
    """For each entity (root key values), its features from the online store, joined
    group by group on the latest rows (None for keys with no row), then its on-demand
    features from those and its request parameters; and whether each entity was found
    (the root group has a row for it). Row by row: the fast path for a few entities."""
    rows: list[dict[str, Any]] = [dict(zip(plan.keys, e, strict=True)) for e in entities]
    found = [False] * len(entities)
    root = plan.sources[0]
    for source in plan.sources:
        keys = [tuple(row.get(c) for c in source.left_on) for row in rows]
        present = [i for i, key in enumerate(keys) if None not in key]
        stored_rows = read_online(services, source.group, [keys[i] for i in present])
        for row in rows:
            for _, out in source.columns:
                row[out] = None
        for i, stored in zip(present, stored_rows, strict=True):
            if stored is not None:
                for column, out in source.columns:
                    rows[i][out] = stored[column]
                if source is root:
                    found[i] = True
    if plan.on_demand:
        now = datetime.now(UTC)
        for row, request in zip(rows, requests, strict=True):
            values = {plan.event_time: now, **row, **request}
            for feature in plan.on_demand:
                row[feature.name] = values[feature.name] = feature.compute_one(values)
    return rows, found


Column: TypeAlias = pa.ChunkedArray | pa.Array


def feature_table(
    services: Services,
    plan: ViewPlan,
    entities: list[tuple[Any, ...]],
    requests: Sequence[Mapping[str, Any]],
) -> dict[str, Column]:
    """``feature_vectors`` as columns by name (keys, features, hidden columns): each group
    is read as one table whose rows are placed by position (an Arrow take), a column at
    a time. The fast path for many entities."""
    import numpy as np

    own = _entity_keys(entities)
    columns: dict[str, Column] = {}
    for source in plan.sources:
        if source.left_on == plan.keys:  # the root, or a group joined on the entity key
            present, keys = own
        else:
            present, keys = _column_keys([columns[c] for c in source.left_on], len(entities))
        wanted = [column for column, _ in source.columns]
        stored, found = read_online_table(services, source.group, keys, wanted)
        if not (found.all() and present.all()):  # nulls where no row was found
            placed = np.zeros(len(entities), dtype=bool)
            placed[present] = found
            stored = stored.take(pa.array(np.cumsum(present) - 1, mask=~placed))
        if not columns:  # the keys were checked by the read: now they make columns
            columns = {
                k: pa.array([e[i] for e in entities], plan.types[k])
                for i, k in enumerate(plan.keys)
            }
        columns.update(zip(source.outputs, stored.columns, strict=True))
    if plan.on_demand:
        columns.update(_on_demand_columns(plan, columns, requests))
    return columns


def _entity_keys(entities: list[tuple[Any, ...]]) -> tuple[Found, list[tuple[Any, ...]]]:
    """Which entities have a whole key (a None part finds nothing), and those keys."""
    import numpy as np

    known = [None not in e for e in entities]
    if all(known):
        return np.ones(len(entities), dtype=bool), entities
    return np.array(known, dtype=bool), [e for e, k in zip(entities, known, strict=True) if k]


def _column_keys(left: list[Column], count: int) -> tuple[Found, list[tuple[Any, ...]]]:
    """Which rows have a whole key in the columns read before, and those keys."""
    import numpy as np

    present = np.ones(count, dtype=bool)
    if any(c.null_count for c in left):
        present = np.logical_and.reduce([np.asarray(c.is_valid()) for c in left])
        left = [c.filter(present) for c in left]
    return present, list(zip(*(c.to_pylist() for c in left), strict=True))


def _on_demand_columns(
    plan: ViewPlan, columns: Mapping[str, Column], requests: Sequence[Mapping[str, Any]]
) -> dict[str, pa.Array]:
    """The on-demand features, computed row by row as ``feature_vectors`` does."""
    inputs = {n for f in plan.on_demand for n in f.input_names if n in columns}
    values = {n: columns[n].to_pylist() for n in inputs}
    now = datetime.now(UTC)
    computed: dict[str, list[Any]] = {f.name: [] for f in plan.on_demand}
    rows = len(next(iter(columns.values())))
    for i, request in zip(range(rows), requests, strict=True):
        row = {plan.event_time: now, **{n: v[i] for n, v in values.items()}, **request}
        for feature in plan.on_demand:
            row[feature.name] = feature.compute_one(row)
            computed[feature.name].append(row[feature.name])
    return {name: pa.array(v, plan.types[name]) for name, v in computed.items()}


def check_request(obj: str, plan: ViewPlan, request: Mapping[str, Any]) -> None:
    """Refuse a request that lacks a parameter, has an unknown one, or a mistyped one."""
    missing = [name for name in plan.request if name not in request]
    unknown = [name for name in request if name not in plan.request]
    if missing or unknown:
        raise DataError(
            f"{obj}: request parameters expected {sorted(plan.request)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {unknown}" if unknown else ""),
            obj=obj,
            column=(missing or unknown)[0],
            expected=sorted(plan.request),
            received=sorted(request),
        )
    for feature in plan.on_demand:
        for name, annotation in feature.inputs:
            if name in plan.request:
                check_request_value(feature.name, name, annotation, request[name])


def require_online(obj: str, plan: ViewPlan) -> None:
    offline = [s.group.label for s in plan.sources if not s.group.online]
    if offline:
        raise DataError(
            f"{obj}: feature vectors are read from the online store, and feature group(s) "
            f"{offline} are not online",
            obj=obj,
            expected="online=True",
            received=offline,
        )
