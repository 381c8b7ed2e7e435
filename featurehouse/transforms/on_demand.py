"""On-demand features: plain Python functions of the request and of stored features,
computed at request time online and over history for training, with the same code.

>>> @on_demand
... def amount_ratio(amount: float, avg_amount: float) -> float:
...     return amount / (avg_amount + 1.0)

Parameters are matched by name: a feature of the view, an on-demand feature declared
before, or else a request parameter (given with each online request; a column of the
spine in training). The function is called with numpy arrays over many rows
(``vectorized=True``, the default: write it with operators and numpy functions) and
with plain Python values for one row online; ``vectorized=False`` calls it row by row
with Python values everywhere, and a null input then gives a null output.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_type_hints

import pyarrow as pa

from featurehouse.common.imports import ImportKind, reference_to, remember_definition, resolve
from featurehouse.errors import DataError, SchemaError

# Python annotation -> Arrow type name; the values a request parameter may take.
_TYPES: dict[Any, tuple[str, tuple[type, ...]]] = {
    float: ("float64", (float, int)),
    int: ("int64", (int,)),
    bool: ("bool", (bool,)),
    str: ("string", (str,)),
    datetime: ("timestamp[us, tz=UTC]", (datetime,)),
}


@dataclass(frozen=True)
class OnDemandFeature:
    """A declared on-demand feature: its function, typed inputs and output."""

    function: Callable[..., Any]
    inputs: tuple[tuple[str, Any], ...]  # (parameter name, annotation)
    output: Any
    vectorized: bool = True

    @property
    def name(self) -> str:
        return str(self.function.__name__)

    @property
    def input_names(self) -> list[str]:
        return [n for n, _ in self.inputs]

    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.output)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def compute(
        self, columns: Mapping[str, pa.ChunkedArray | pa.Array], rows: int | None = None
    ) -> pa.Array:
        """The feature over many rows, from input columns (``rows``: how many, which a
        feature without inputs needs)."""
        import numpy as np

        count = rows if rows is not None else len(next(iter(columns.values()), []))
        try:
            if self.vectorized:
                arrays = {n: _numpy(columns[n]) for n in self.input_names}
                result = self.function(**arrays)
                if np.isscalar(result):
                    result = np.full(count, result)
                return pa.array(result, type=self.arrow_type(), from_pandas=True)
            lists = {n: columns[n].to_pylist() for n in self.input_names}
            values = [
                self.compute_one({n: lists[n][i] for n in self.input_names}) for i in range(count)
            ]
            return pa.array(values, type=self.arrow_type())
        except (DataError, SchemaError):
            raise
        except Exception as exc:
            raise DataError(
                f"on-demand feature {self.name!r} failed: {type(exc).__name__}: {exc}",
                obj=self.name,
            ) from exc

    def compute_one(self, values: Mapping[str, Any]) -> Any:
        """The feature for one row, from plain Python values."""
        if not self.vectorized and any(values[n] is None for n in self.input_names):
            return None
        args = {n: values[n] for n in self.input_names}
        if self.vectorized:  # numbers as offline: numpy scalars (1 / 0 is inf), null as NaN
            import numpy as np

            for name, annotation in self.inputs:
                value = args[name]
                if annotation is float or (annotation is int and value is None):
                    args[name] = np.float64(np.nan if value is None else value)
                elif annotation is int:
                    args[name] = np.int64(value)
        try:
            result = self.function(**args)
        except Exception as exc:
            raise DataError(
                f"on-demand feature {self.name!r} failed: {type(exc).__name__}: {exc}",
                obj=self.name,
            ) from exc
        result = result.item() if hasattr(result, "item") else result
        return None if isinstance(result, float) and result != result else result  # NaN: null

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "function": reference_to(ON_DEMAND, self.name, self.function, self),
        }


def on_demand(function: Callable[..., Any] | None = None, *, vectorized: bool = True) -> Any:
    """Declare an on-demand feature (a decorator, with or without arguments)."""

    def declare(fn: Callable[..., Any]) -> OnDemandFeature:
        hints = get_type_hints(fn)
        inputs = []
        for name in inspect.signature(fn).parameters:
            if name not in hints:
                raise SchemaError(
                    f"on-demand feature {fn.__name__!r}: parameter {name!r} needs a type "
                    "annotation (float, int, bool, str or datetime)",
                    obj=fn.__name__,
                    column=name,
                )
            arrow_type(hints[name], fn.__name__, name)
            inputs.append((name, hints[name]))
        if "return" not in hints:
            raise SchemaError(
                f"on-demand feature {fn.__name__!r} needs a return annotation",
                obj=fn.__name__,
            )
        arrow_type(hints["return"], fn.__name__, "return")
        remember_definition(fn.__module__)  # its module has run: a catalog may name it
        return OnDemandFeature(fn, tuple(inputs), hints["return"], vectorized)

    return declare if function is None else declare(function)


ON_DEMAND = ImportKind(
    "on-demand feature",
    "a function declared with @fh.on_demand",
    lambda target: isinstance(target, OnDemandFeature),
)


def on_demand_from_json(
    data: dict[str, Any], trusted: Sequence[str] = (), *, owner: str = ""
) -> OnDemandFeature:
    """The declared function a stored entry names, from a trusted module (see
    ``featurehouse.common.imports``)."""
    feature: OnDemandFeature = resolve(
        ON_DEMAND, data["name"], data["function"], trusted, owner=owner
    )
    if feature.name != data["name"]:  # the view's columns are named after the stored name
        raise SchemaError(
            f"{owner or 'catalog'}: on-demand feature {data['name']!r}: {data['function']!r} "
            f"declares a feature named {feature.name!r}",
            obj=owner or data["name"],
            column=data["name"],
            expected=data["name"],
            received=feature.name,
        )
    return feature


def check_request_value(feature: str, name: str, annotation: Any, value: Any) -> None:
    """Refuse a request parameter of the wrong type, naming it."""
    allowed = _TYPES[annotation][1]
    if value is not None and (
        not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool))
    ):
        raise DataError(
            f"request parameter {name!r} (for on-demand feature {feature!r}) expected "
            f"{annotation.__name__}, received {type(value).__name__} {value!r}",
            obj=feature,
            column=name,
            expected=annotation.__name__,
            received=type(value).__name__,
        )


def arrow_type(annotation: Any, feature: str = "", name: str = "") -> pa.DataType:
    if annotation not in _TYPES:
        raise SchemaError(
            f"on-demand feature {feature!r}: {name} is annotated {annotation!r}; expected one "
            "of float, int, bool, str, datetime",
            obj=feature,
            column=name,
            expected=["float", "int", "bool", "str", "datetime"],
            received=repr(annotation),
        )
    if annotation is datetime:
        return pa.timestamp("us", tz="UTC")
    return pa.type_for_alias(_TYPES[annotation][0])


def _numpy(column: pa.ChunkedArray | pa.Array) -> Any:
    if pa.types.is_integer(column.type) and column.null_count:
        column = column.cast(pa.float64())  # nulls become NaN
    return column.to_numpy(zero_copy_only=False)
