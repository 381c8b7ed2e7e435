"""Entities from a request checked against a view's keys before any store is read: every
key field present, no other field, no null, and each value of its key's type (JSON has
one number type; an int64 key takes integral numbers only, within range), naming the field,
by the conversion every online lookup uses (``online.keys``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from featurehouse.errors import DataError
from featurehouse.online.keys import conform_key_value


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
                conform_key_value(obj, f"entities[{i}].{key}", kind, entity[key])
