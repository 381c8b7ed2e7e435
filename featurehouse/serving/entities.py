"""Entities from a request checked against a view's keys before any store is read: every
key field present, no other field, no null, and each value of its key's type (JSON has
one number type; an int64 key takes integers only, within range), naming the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from featurehouse.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa


def check_entities(
    obj: str,
    keys: Sequence[str],
    key_types: Mapping[str, pa.DataType],
    entities: Sequence[Mapping[str, Any]],
) -> None:
    for i, entity in enumerate(entities):
        missing = [k for k in keys if k not in entity]
        unknown = sorted(k for k in entity if k not in keys)
        if missing or unknown:
            raise DataError(
                f"{obj}: entities[{i}] must have exactly the key fields {list(keys)}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unknown {unknown}" if unknown else ""),
                obj=obj,
                column=f"entities[{i}].{(missing or unknown)[0]}",
                expected=list(keys),
                received=sorted(entity),
            )
        for key in keys:
            kind = key_types.get(key)
            if kind is not None:
                _check_value(obj, f"entities[{i}].{key}", kind, entity[key])


def _check_value(obj: str, field: str, kind: pa.DataType, value: Any) -> None:
    import pyarrow as pa

    if value is None:
        fits = False
    elif pa.types.is_integer(kind):
        bits = kind.bit_width
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        if pa.types.is_unsigned_integer(kind):
            low, high = 0, 2**bits - 1
        fits = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif pa.types.is_floating(kind):
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        fits = isinstance(value, str)
    elif pa.types.is_boolean(kind):
        fits = isinstance(value, bool)
    else:
        try:
            pa.array([value], kind)
            fits = True
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            fits = False
    if not fits:
        raise DataError(
            f"{obj}: {field} expected a non-null {kind} value, received "
            f"{type(value).__name__} {repr(value)[:100]}",
            obj=obj,
            column=field,
            expected=str(kind),
            received=type(value).__name__,
        )
