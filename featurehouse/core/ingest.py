"""Preparing a batch for a feature group: conform it to the schema, refuse bad rows, and
drop in-batch duplicates (the last one wins). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.core.frames import to_arrow
from featurehouse.errors import DataError, SchemaError
from featurehouse.types import (
    check_column_names,
    conform_column,
    infer_schema,
    storage_type,
)

if TYPE_CHECKING:
    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.engine.base import Engine


@dataclass(frozen=True)
class PreparedBatch:
    table: pa.Table
    schema: pa.Schema
    added_columns: tuple[str, ...]
    duplicates_dropped: int


def prepare_batch(spec: FeatureGroupSpec, data: Any, engine: Engine) -> PreparedBatch:
    """Validate and conform ``data`` for ``spec``; raise before anything is written."""
    obj = f"feature group {spec.label}"
    table = to_arrow(obj, data)
    if table.num_rows == 0:
        raise DataError(
            f"{obj}: the insert is empty (0 rows)", obj=spec.label, expected=">= 1 row", received=0
        )
    check_column_names(obj, table.column_names)
    for column in [*spec.primary_key, spec.event_time]:
        if column not in table.column_names:
            kind = "event-time" if column == spec.event_time else "primary-key"
            raise SchemaError(
                f"{obj}: the {kind} column {column!r} is missing; received columns {table.column_names}",
                obj=spec.label,
                column=column,
                expected=column,
                received=table.column_names,
            )
    schema, added = _target_schema(obj, spec, table)

    columns = [conform_column(obj, f.name, table.column(f.name), f.type) for f in schema]
    table = pa.Table.from_arrays(columns, schema=schema)
    _refuse_null_keys(obj, spec, table)
    deduped = _drop_duplicates(engine, table, [*spec.primary_key, spec.event_time])
    return PreparedBatch(deduped, schema, added, table.num_rows - deduped.num_rows)


def _drop_duplicates(engine: Engine, table: pa.Table, group: list[str]) -> pa.Table:
    """``table`` with one row per ``group`` value, the last one (``table`` itself when
    there are no duplicates, the common case, found without a full hash where possible)."""
    if _has_no_duplicates(engine, table, group):
        return table
    return engine.last_per_group(table, group)


def _has_no_duplicates(engine: Engine, table: pa.Table, group: list[str]) -> bool:
    """True when it is cheap to show that no two rows share their ``group`` values: the
    batch is sorted by one of those columns (a pipeline's batch usually is, by time), so
    equal values sit side by side and only the few rows equal to a neighbour need the
    engine's check. False means: not shown, there may be duplicates."""
    if table.num_rows < 2:
        return True
    for column in reversed(group):  # the event time first
        candidates = _beside_an_equal(table.column(column))
        if candidates is None:
            continue
        suspects = table.select(group).filter(candidates)
        if suspects.num_rows > table.num_rows // 2:
            return False  # checking them would cost as much as checking every row
        return bool(engine.last_per_group(suspects, group).num_rows == suspects.num_rows)
    return False


def _beside_an_equal(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Where ``column`` is sorted (ascending or descending), which rows equal the row
    before or after them; None where it is not sorted, or cannot be compared (nulls)."""
    if column.null_count:
        return None
    before, after = column[:-1], column[1:]
    try:
        ascending = pc.all(pc.less_equal(before, after)).as_py()
        if not ascending and not pc.all(pc.greater_equal(before, after)).as_py():
            return None
    except pa.ArrowNotImplementedError:
        return None
    equal = pc.equal(before, after).chunks  # equal[i]: row i equals row i + 1
    edge = [pa.array([False])]
    return pc.or_(pa.chunked_array(edge + equal), pa.chunked_array(equal + edge))


def _target_schema(
    obj: str, spec: FeatureGroupSpec, table: pa.Table
) -> tuple[pa.Schema, tuple[str, ...]]:
    """The schema after this batch: the stored one, grown by nullable new columns."""
    if spec.schema is None:
        return infer_schema(obj, table, spec.event_time), ()
    missing = [n for n in spec.schema.names if n not in table.column_names]
    if missing:
        raise SchemaError(
            f"{obj}: column(s) {missing} missing from the insert; expected {spec.schema.names}",
            obj=spec.label,
            column=missing[0],
            expected=spec.schema.names,
            received=table.column_names,
        )
    added = [n for n in table.column_names if n not in spec.schema.names]
    check_column_names(obj, [*spec.schema.names, *added])  # ``V`` beside a stored ``v``
    fields = list(spec.schema)
    for name in added:
        t = table.schema.field(name).type
        stored = storage_type(t)
        if stored is None or pa.types.is_null(t):
            raise SchemaError(
                f"{obj}: new column {name!r} has type {t}, which cannot be added; add columns with "
                "a storable type, or create a new version of the feature group",
                obj=spec.label,
                column=name,
                received=str(t),
            )
        fields.append(pa.field(name, stored, nullable=True))
    return pa.schema(fields), tuple(added)


def _refuse_null_keys(obj: str, spec: FeatureGroupSpec, table: pa.Table) -> None:
    """Refuse null key and event-time values, and NaN or infinite float keys: no store can
    look them up (NaN equals nothing), and SQLite stores NaN as null."""
    for column in [*spec.primary_key, spec.event_time]:
        kind = "event-time" if column == spec.event_time else "primary-key"
        bad = _unusable_keys(table.column(column))
        if bad:
            raise DataError(
                f"{obj}: {bad} row(s) have a null, NaN or infinite {kind} value in column "
                f"{column!r}",
                obj=spec.label,
                column=column,
                expected="no nulls, NaN or infinities",
                received=f"{bad} such value(s)",
            )


def _unusable_keys(column: pa.ChunkedArray) -> int:
    """How many values of a key column are null, or NaN or ±inf."""
    bad = column.null_count
    if pa.types.is_floating(column.type):
        bad += pc.sum(pc.invert(pc.is_finite(column))).as_py() or 0
    return int(bad)


def conform_keys(spec: FeatureGroupSpec, data: Any, allow_event_time: bool = True) -> pa.Table:
    """A table of key values (and optionally event times) in the stored types."""
    obj = f"feature group {spec.label}"
    assert spec.schema is not None
    table = to_arrow(obj, data)
    if table.num_rows == 0:
        raise DataError(f"{obj}: no keys given", obj=spec.label, expected=">= 1 key", received=0)
    allowed = [*spec.primary_key, spec.event_time] if allow_event_time else list(spec.primary_key)
    unknown = [c for c in table.column_names if c not in allowed]
    missing = [c for c in spec.primary_key if c not in table.column_names]
    if unknown or missing:
        raise SchemaError(
            f"{obj}: keys must have the columns {list(spec.primary_key)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {unknown}" if unknown else ""),
            obj=spec.label,
            column=(missing or unknown)[0],
            expected=list(spec.primary_key),
            received=table.column_names,
        )
    names = [c for c in allowed if c in table.column_names]
    columns = [conform_column(obj, c, table.column(c), spec.schema.field(c).type) for c in names]
    keys = pa.Table.from_arrays(columns, names=names)
    for column in names:
        if _unusable_keys(keys.column(column)):
            raise DataError(
                f"{obj}: null, NaN or infinite value in key column {column!r}",
                obj=spec.label,
                column=column,
                expected="no nulls, NaN or infinities",
                received="null, NaN or inf",
            )
    return keys
