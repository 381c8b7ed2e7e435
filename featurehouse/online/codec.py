"""Arrow columns <-> plain Python scalars that any key-value store can hold.

Timestamps travel as integer microseconds since the epoch (UTC), dates as days,
decimals as strings and nested values as JSON text; reads turn them back. Inside a nested
value each item is encoded by its Arrow type the same way (and binary as base64), so a
list of timestamps reads back as datetimes, not as the strings JSON would make of them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.types as pt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
Decoder = Callable[[Any], Any] | None


def encode_column(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Python scalars for one column, in the stored encoding."""
    t = column.type
    if pt.is_timestamp(t):
        column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    elif pt.is_date32(t):
        column = column.cast(pa.int32())
    t = column.type
    if column.null_count == 0 and (pt.is_integer(t) or pt.is_floating(t) or pt.is_boolean(t)):
        return column.to_numpy(zero_copy_only=False).tolist()  # type: ignore[no-any-return]
    if pt.is_decimal(t):
        return [None if v is None else str(v) for v in column.to_pylist()]
    if pt.is_nested(t):
        to_json = _json_encoder(t)
        return [None if v is None else json.dumps(to_json(v)) for v in column.to_pylist()]
    return column.to_pylist()  # type: ignore[no-any-return]


def encode_rows(table: pa.Table, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of ``table`` as tuples of stored scalars, in ``columns`` order."""
    return list(zip(*(encode_column(table.column(c)) for c in columns), strict=True))


def encode_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A lookup key in the stored encoding (timestamps and dates become integers)."""
    return tuple(_encode_scalar(v) for v in key)


def _encode_scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (aware - EPOCH) // timedelta(microseconds=1)
    if isinstance(value, date):
        return (value - EPOCH_DATE).days
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json_encoder(t: pa.DataType) -> Callable[[Any], Any]:
    """A function from a Python value of type ``t`` (not None) to plain JSON values."""
    if pt.is_list(t) or pt.is_large_list(t):
        item = _json_encoder(t.value_type)
        return lambda v: [None if x is None else item(x) for x in v]
    if pt.is_struct(t):
        fields = [(f.name, _json_encoder(f.type)) for f in t]
        return lambda v: {n: None if v[n] is None else f(v[n]) for n, f in fields}
    if pt.is_binary(t) or pt.is_large_binary(t):
        return lambda v: base64.b64encode(v).decode("ascii")
    return _encode_scalar


def _json_decoder(t: pa.DataType) -> Callable[[Any], Any]:
    """The inverse of ``_json_encoder``."""
    if pt.is_list(t) or pt.is_large_list(t):
        item = _json_decoder(t.value_type)
        return lambda v: [None if x is None else item(x) for x in v]
    if pt.is_struct(t):
        fields = [(f.name, _json_decoder(f.type)) for f in t]
        return lambda v: {n: None if v.get(n) is None else f(v[n]) for n, f in fields}
    if pt.is_binary(t) or pt.is_large_binary(t):
        return base64.b64decode
    return decoder(t) or _as_is


def _as_is(value: Any) -> Any:
    return value


def decoder(t: pa.DataType) -> Decoder:
    """The function that turns a stored scalar of type ``t`` back, or None when it is as-is."""
    if pt.is_timestamp(t):
        return lambda v: EPOCH + timedelta(microseconds=v)
    if pt.is_date32(t):
        return lambda v: EPOCH_DATE + timedelta(days=v)
    if pt.is_decimal(t):
        return Decimal
    if pt.is_nested(t):
        from_json = _json_decoder(t)
        return lambda v: from_json(json.loads(v))
    return None


ColumnDecoder = Callable[[Any, Any], pa.Array]


def column_decoder(t: pa.DataType) -> ColumnDecoder:
    """The function from stored scalars of type ``t`` (a sequence, or a numpy array of
    numbers) and a mask (a numpy bool array, True where null, or None) to an Arrow array:
    the inverse of ``encode_column``, resolved once per column."""
    if pt.is_timestamp(t):
        return lambda values, missing: _timestamps(values, missing, t)
    if pt.is_boolean(t):  # SQLite hands booleans back as integers
        return lambda values, missing: pa.array(values, pa.uint8(), mask=missing).cast(t)
    decode = None if pt.is_date32(t) else decoder(t)
    if decode is None:
        return lambda values, missing: pa.array(values, t, mask=missing)

    def decoded(values: Any, missing: Any) -> pa.Array:
        return pa.array([None if v is None else decode(v) for v in values], t, mask=missing)

    return decoded


def _timestamps(values: Any, missing: Any, t: pa.DataType) -> pa.Array:
    array = pa.array(values, pa.timestamp("us", tz="UTC"), mask=missing)
    return array if array.type == t else array.cast(t)


def row_decoder(
    schema: pa.Schema, columns: list[str]
) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """A fast function from a stored tuple (in ``columns`` order) to a row dict."""
    decoders = [(i, d) for i, c in enumerate(columns) if (d := decoder(schema.field(c).type))]
    if not decoders:
        return lambda values: dict(zip(columns, values, strict=True))

    def decode(values: tuple[Any, ...]) -> dict[str, Any]:
        out = list(values)
        for i, d in decoders:
            if out[i] is not None:
                out[i] = d(out[i])
        return dict(zip(columns, out, strict=True))

    return decode
