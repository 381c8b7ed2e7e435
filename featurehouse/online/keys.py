"""Lookup keys in the type of their key column, before any online store sees them.

One function for every lookup path (``get_online``, feature vectors, the HTTP service),
so every backend gets the same plain Python values and answers alike: numpy and pandas
scalars are accepted, only lossless conversions are made (``numpy.int64(1)`` or
``1.0`` for an int key, a naive datetime as UTC), and anything else (``"1"`` or
``True`` for an int key, ``1.5``, a list) is a DataError naming the key column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.types as pt

from featurehouse.errors import DataError


class _Refused(Exception):
    """The value does not convert losslessly to the key type."""


def conform_key_value(obj: str, column: str, kind: pa.DataType, value: Any) -> Any:
    """``value`` as a plain Python value of the key type ``kind``; DataError if it cannot be."""
    try:
        if value is None:
            raise _Refused
        return _convert(kind, value)
    except _Refused:
        raise DataError(
            f"{obj}: key column {column!r} expects a non-null {kind} value, received "
            f"{type(value).__name__} {repr(value)[:100]}",
            obj=obj,
            column=column,
            expected=str(kind),
            received=type(value).__name__,
        ) from None


def conform_keys(
    obj: str, columns: Sequence[tuple[str, pa.DataType]], keys: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """``conform_key_value`` for every value of many keys (tuples in ``columns`` order,
    each column a (name, type)). Values that already are what it would make of them (plain
    ints in range, strs: the common keys) are checked a column at a time and kept."""
    if all(_plain(kind, [key[i] for key in keys]) for i, (_, kind) in enumerate(columns)):
        return list(keys)
    return [
        tuple(conform_key_value(obj, c, kind, v) for (c, kind), v in zip(columns, key, strict=True))
        for key in keys
    ]


def _plain(kind: pa.DataType, values: list[Any]) -> bool:
    types = set(map(type, values))
    if pt.is_string(kind) or pt.is_large_string(kind):
        return types <= {str}
    if pt.is_integer(kind) and types <= {int}:
        low, high = _bounds(kind)
        return not values or (low <= min(values) and max(values) <= high)
    return False


def _convert(kind: pa.DataType, value: Any) -> Any:
    if pt.is_boolean(kind):
        return _boolean(value)
    if pt.is_integer(kind):
        return _integer(kind, value)
    if pt.is_floating(kind):
        return _floating(kind, value)
    if pt.is_decimal(kind):
        return _decimal(kind, value)
    if pt.is_string(kind) or pt.is_large_string(kind):
        if isinstance(value, str):  # numpy.str_ is a str
            return str(value)
        raise _Refused
    if pt.is_binary(kind) or pt.is_large_binary(kind):
        if isinstance(value, bytes | bytearray):  # numpy.bytes_ is bytes
            return bytes(value)
        raise _Refused
    if pt.is_timestamp(kind):
        return _timestamp(value)
    if pt.is_date(kind):
        return _date(value)
    raise _Refused  # nested key columns cannot be looked up


def _is_bool(value: Any) -> bool:
    import numpy as np

    return isinstance(value, bool | np.bool_)


def _boolean(value: Any) -> bool:
    if _is_bool(value):
        return bool(value)
    raise _Refused


def _integer(kind: pa.DataType, value: Any) -> int:
    import numpy as np

    if _is_bool(value):
        raise _Refused
    integral = isinstance(value, float | np.floating) and math.isfinite(value)
    if not isinstance(value, int | np.integer) and not (integral and value == int(value)):
        raise _Refused
    number = int(value)
    low, high = _bounds(kind)
    if not low <= number <= high:
        raise _Refused
    return number


def _bounds(kind: pa.DataType) -> tuple[int, int]:
    bits = kind.bit_width
    if pt.is_unsigned_integer(kind):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _floating(kind: pa.DataType, value: Any) -> float:
    import numpy as np

    if _is_bool(value) or not isinstance(value, int | float | np.integer | np.floating):
        raise _Refused
    with np.errstate(over="ignore"):  # too large for float32: inf, refused below
        number = float(np.float32(value)) if kind.bit_width == 32 else float(value)
    if isinstance(value, int | np.integer):
        exact = math.isfinite(number) and int(number) == int(value)
    else:
        exact = number == float(value)  # False for NaN
    if not exact:  # a value the column cannot hold
        raise _Refused
    return number


def _decimal(kind: pa.DataType, value: Any) -> Decimal:
    if _is_bool(value) or not isinstance(value, Decimal | int):
        raise _Refused
    try:
        # The stored form has the column's scale: 1.5 in decimal(9, 2) is stored as "1.50".
        number = Decimal(value).quantize(Decimal(1).scaleb(-kind.scale))
    except InvalidOperation:
        raise _Refused from None
    if number != value:
        raise _Refused
    return number


def _timestamp(value: Any) -> datetime:
    import numpy as np

    if isinstance(value, np.datetime64):
        if np.isnat(value) or value != value.astype("datetime64[us]"):
            raise _Refused
        value = value.astype("datetime64[us]").item()
    if not isinstance(value, datetime):
        raise _Refused
    if getattr(value, "nanosecond", 0):  # a pandas Timestamp finer than storage (µs)
        raise _Refused
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    moment: datetime = value
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: Any) -> date:
    import numpy as np

    if isinstance(value, np.datetime64):
        if np.isnat(value) or value != value.astype("datetime64[D]"):
            raise _Refused
        value = value.astype("datetime64[D]").item()
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _Refused
    return value
