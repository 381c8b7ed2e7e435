"""Feature types <-> Arrow types: names, normalization, schema conformance and evolution.

Stored types are the ones Delta Lake can hold. Timestamps are stored as
``timestamp[us, tz=UTC]``; a naive timestamp is taken as UTC, an aware one is
converted to UTC.
"""

from __future__ import annotations

import base64
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from featurehouse.errors import InvalidNameError, SchemaError

OBJECT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Names the store uses for its own bookkeeping columns.
RESERVED_PREFIX = "_fh_"
MAX_VERSION = 2**63 - 1  # a version is stored as a signed 64-bit integer
MAX_TTL_SECONDS = timedelta.max.total_seconds()


def check_object_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid object name (lower case, digits, underscores)."""
    if not isinstance(name, str) or not OBJECT_NAME.fullmatch(name):
        raise InvalidNameError(
            f"invalid {kind} name {name!r}: expected lower-case letters, digits and "
            "underscores, starting with a letter, at most 63 characters",
            obj=str(name),
            expected=OBJECT_NAME.pattern,
            received=name,
        )
    return name


def check_version(obj: str, version: object) -> int:
    """Return ``version`` if it is an integer from 1 to ``MAX_VERSION``."""
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise SchemaError(
            f"{obj}: version must be an integer from 1 to {MAX_VERSION}, received {version!r}",
            obj=obj,
            expected=f"int from 1 to {MAX_VERSION}",
            received=version,
        )
    return version


def check_ttl(obj: str, ttl: object) -> timedelta | None:
    """A ttl as a timedelta: None, a timedelta, or a number of seconds; never negative."""
    if ttl is None or (isinstance(ttl, timedelta) and ttl >= timedelta(0)):
        return ttl
    seconds = (
        float(ttl) if not isinstance(ttl, bool) and isinstance(ttl, numbers.Real) else math.nan
    )
    if 0 <= seconds < MAX_TTL_SECONDS:  # NaN (and so True, "1d") fails this
        return timedelta(seconds=seconds)
    raise SchemaError(
        f"{obj}: ttl must be a timedelta or a number of seconds, at least 0 and finite, "
        f"received {ttl!r}",
        obj=obj,
        expected="timedelta or seconds >= 0",
        received=ttl,
    )


def check_column_names(obj: str, names: Sequence[str]) -> None:
    """Refuse invalid, reserved, repeated and case-only different names (Delta Lake and
    DuckDB do not tell ``v`` from ``V``)."""
    seen: dict[str, str] = {}
    for name in names:
        if (
            not isinstance(name, str)
            or not COLUMN_NAME.fullmatch(name)
            or name.startswith(RESERVED_PREFIX)
        ):
            raise InvalidNameError(
                f"{obj}: invalid column name {name!r}: expected letters, digits and underscores, "
                f"starting with a letter or underscore, not starting with {RESERVED_PREFIX!r}",
                obj=obj,
                column=str(name),
                expected=COLUMN_NAME.pattern,
                received=name,
            )
        other = seen.get(name.lower())
        if other is not None:
            clash = (
                "" if other == name else f" (as {other!r}: names that differ only in case clash)"
            )
            raise InvalidNameError(
                f"{obj}: column {name!r} appears twice{clash}",
                obj=obj,
                column=name,
                expected="unique column names, ignoring case",
                received=list(names),
            )
        seen[name.lower()] = name


def as_utc(value: datetime | str | None) -> datetime | None:
    """A time bound as an aware UTC datetime: naive times are UTC, strings are ISO 8601."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_timestamp() -> pa.DataType:
    return pa.timestamp("us", tz="UTC")


def storage_type(t: pa.DataType) -> pa.DataType | None:
    """The type a column of type ``t`` is stored as, or None if it cannot be stored."""
    if pt.is_dictionary(t):
        return storage_type(t.value_type)
    if pt.is_boolean(t) or t in (pa.int8(), pa.int16(), pa.int32(), pa.int64()):
        return t
    if pt.is_unsigned_integer(t):
        return pa.int64()
    if pt.is_float16(t):
        return pa.float32()
    if pt.is_float32(t) or pt.is_float64(t) or pt.is_decimal128(t):
        return t
    if pt.is_string(t) or pt.is_large_string(t) or pt.is_string_view(t):
        return pa.string()
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_binary_view(t):
        return pa.binary()
    if pt.is_date(t):
        return pa.date32()
    if pt.is_timestamp(t):
        return utc_timestamp()
    if pt.is_list(t) or pt.is_large_list(t):
        inner = storage_type(t.value_type)
        return pa.list_(inner) if inner is not None else None
    if pt.is_struct(t):
        children = [(f.name, storage_type(f.type)) for f in t]
        if any(c is None for _, c in children):
            return None
        return pa.struct(children)
    return None


def _is_compatible(got: pa.DataType, expected: pa.DataType) -> bool:
    """May ``got`` be cast to ``expected``? Numbers cast within ints, ints to floats and
    floats to floats; the cast then refuses values it would change (only lossless casts
    are implicit)."""
    if pt.is_integer(got):
        return bool(pt.is_integer(expected) or pt.is_floating(expected))
    if pt.is_floating(got):
        return bool(pt.is_floating(expected))
    return bool(pt.is_date(got) and pt.is_timestamp(expected))


def conform_column(obj: str, name: str, column: Any, expected: pa.DataType) -> Any:
    """Cast ``column`` to ``expected`` or raise a SchemaError naming the column and both types."""
    got = column.type
    if got == expected:
        return column
    if pa.types.is_null(got) or storage_type(got) == expected or _is_compatible(got, expected):
        try:
            # Truncating nanoseconds to microseconds is the one loss we accept.
            safe = not (pa.types.is_timestamp(got) and got.unit == "ns")
            cast = pc.cast(column, expected, safe=safe)
            if pa.types.is_floating(got) and pa.types.is_floating(expected):
                _refuse_changed_floats(column, cast)  # Arrow narrows floats unchecked
            return cast
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaError(
                f"{obj}: column {name!r} expected {expected}, received {got} with values that do "
                f"not fit ({exc})",
                obj=obj,
                column=name,
                expected=str(expected),
                received=str(got),
            ) from exc
    raise SchemaError(
        f"{obj}: column {name!r} expected {expected}, received {got}",
        obj=obj,
        column=name,
        expected=str(expected),
        received=str(got),
    )


def _refuse_changed_floats(column: Any, cast: Any) -> None:
    """Raise ArrowInvalid if ``cast`` does not hold exactly the floats of ``column`` (NaN
    for NaN): 1e300 would become inf in float32, and 0.1 a nearby float32."""
    back = pc.cast(cast, column.type)
    same = pc.or_kleene(pc.equal(back, column), pc.and_(pc.is_nan(back), pc.is_nan(column)))
    changed = pc.indices_nonzero(pc.invert(same.fill_null(True)))
    if len(changed):
        value = column.take(changed[:1])[0].as_py()
        raise pa.ArrowInvalid(f"{value!r} would become {back.take(changed[:1])[0].as_py()!r}")


def infer_schema(obj: str, table: pa.Table, event_time: str) -> pa.Schema:
    """The stored schema for a first insert: storable types, the event time as a UTC timestamp."""
    fields = []
    for field in table.schema:
        t = storage_type(field.type)
        if pa.types.is_null(field.type):
            raise SchemaError(
                f"{obj}: cannot infer the type of column {field.name!r}: every value is null; "
                "pass schema= to create_feature_group",
                obj=obj,
                column=field.name,
                expected="a column with at least one value",
                received="null",
            )
        if t is None:
            raise SchemaError(
                f"{obj}: column {field.name!r} has type {field.type}, which cannot be stored",
                obj=obj,
                column=field.name,
                expected="bool, int, float, decimal, string, binary, date, timestamp, list, struct",
                received=str(field.type),
            )
        if field.name == event_time:
            t = _event_time_type(obj, field.name, t)
        fields.append(pa.field(field.name, t))
    return pa.schema(fields)


def _event_time_type(obj: str, name: str, t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return utc_timestamp()
    raise SchemaError(
        f"{obj}: event-time column {name!r} expected a timestamp or date, received {t}",
        obj=obj,
        column=name,
        expected="timestamp",
        received=str(t),
    )


def check_schema(
    obj: str, schema: pa.Schema, primary_key: Sequence[str], event_time: str
) -> pa.Schema:
    """Validate a declared schema and return it in stored types."""
    check_column_names(obj, schema.names)
    fields = []
    for field in schema:
        t = storage_type(field.type)
        if t is None:
            raise SchemaError(
                f"{obj}: column {field.name!r} has type {field.type}, which cannot be stored",
                obj=obj,
                column=field.name,
                received=str(field.type),
            )
        if field.name == event_time:
            t = _event_time_type(obj, field.name, t)
        fields.append(pa.field(field.name, t))
    result = pa.schema(fields)
    for column in [*primary_key, event_time]:
        if column not in result.names:
            raise SchemaError(
                f"{obj}: the schema has no column {column!r} (a primary-key or event-time column)",
                obj=obj,
                column=column,
                expected=column,
                received=result.names,
            )
    return result


def schema_to_json(schema: pa.Schema) -> dict[str, Any]:
    """A JSON-able schema: readable field list plus the exact Arrow IPC bytes."""
    return {
        "fields": [{"name": f.name, "type": str(f.type)} for f in schema],
        "arrow": base64.b64encode(schema.serialize().to_pybytes()).decode("ascii"),
    }


def schema_from_json(data: dict[str, Any]) -> pa.Schema:
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["arrow"])))


@dataclass(frozen=True)
class OnlineTable:
    """What a backend needs to know of a feature group: its id, schema and keys."""

    name: str
    schema: pa.Schema
    primary_key: tuple[str, ...]
    event_time: str

    @property
    def value_columns(self) -> list[str]:
        return [n for n in self.schema.names if n not in self.primary_key]
