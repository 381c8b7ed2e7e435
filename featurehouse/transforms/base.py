"""Model-dependent transforms: fit statistics on training data, apply them anywhere.

A transform works on one feature. ``fit`` returns JSON-able statistics; ``apply`` maps a
numpy array of values to one or more output arrays; ``apply_one`` does the same for one
value without numpy (the online path). Statistics travel with the training dataset they
were fitted on, so the same numbers scale training rows, batch rows and online vectors.
Tables go through ``fit_column`` and ``apply_column``, which by default hand ``fit`` and
``apply`` the column's values as numpy; a transform may override them to work on the Arrow
column directly (the built-in scalers and encoders do, for speed), giving the same values.

A user-defined transform subclasses ``Transform``:

>>> class Clip(Transform):
...     name = "clip"
...     def fit(self, values): return {"high": float(np.nanpercentile(values, 99))}
...     def apply(self, values, stats): return [np.minimum(values, stats["high"])]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import pyarrow as pa

from featurehouse.common.imports import ImportKind, reference_to, remember_definition, resolve
from featurehouse.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np

Stats = dict[str, Any]
Column: TypeAlias = pa.ChunkedArray | pa.Array


def numpy_values(column: Column) -> np.ndarray:
    """A table column as numpy, nulls as NaN (an integer column with nulls as float) or as
    None (other types)."""
    if pa.types.is_integer(column.type) and column.null_count:
        column = column.cast(pa.float64())
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    return values


class Transform:
    """Base of every model-dependent transform: override ``fit`` and ``apply``."""

    name: ClassVar[str] = "transform"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        remember_definition(cls.__module__)  # its module has run: a catalog may name it

    def params(self) -> dict[str, Any]:
        """The constructor arguments, to store the definition in the catalog."""
        return {}

    def fit(self, values: np.ndarray) -> Stats:
        """Statistics of the training values (nulls are NaN or None)."""
        return {}

    def fit_column(self, column: Column) -> Stats:
        """Statistics of a table's training column: ``fit`` on its values as numpy."""
        return self.fit(numpy_values(column))

    def outputs(self, feature: str, stats: Stats) -> list[str]:
        """Names of the columns this transform makes of ``feature``."""
        return [feature]

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        """The transformed columns, one array each."""
        raise NotImplementedError

    def apply_column(self, column: Column, stats: Stats) -> list[Column]:
        """A table's column transformed: ``apply`` on its values as numpy, NaN as null."""
        return [pa.array(out, from_pandas=True) for out in self.apply(numpy_values(column), stats)]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        """One value transformed: by default through ``apply`` on an array of one."""
        import math

        import numpy as np

        out = []
        for column in self.apply(np.array([value]), stats):
            item = column[0].item() if hasattr(column[0], "item") else column[0]
            out.append(None if isinstance(item, float) and math.isnan(item) else item)
        return out  # NaN as None: a table holds a null there

    def to_json(self) -> dict[str, Any]:
        cls = type(self)
        return {
            "name": self.name,
            "class": reference_to(TRANSFORM, self.name, cls, cls),
            "params": self.params(),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({args})"


TRANSFORM = ImportKind(
    "transform",
    "a subclass of fh.Transform",
    lambda target: isinstance(target, type) and issubclass(target, Transform),
)


def transform_from_json(
    data: dict[str, Any], trusted: Sequence[str] = (), *, owner: str = ""
) -> Transform:
    """Rebuild a transform stored by ``to_json``: its class must be a Transform in a
    trusted module (see ``featurehouse.common.imports``)."""
    cls = resolve(TRANSFORM, data["name"], data["class"], trusted, owner=owner)
    try:
        transform: Transform = cls(**data["params"])
    except TypeError as exc:
        raise SchemaError(
            f"{owner or 'transform'}: cannot rebuild {data['class']} with {data['params']}: {exc}",
            obj=owner or data["name"],
            expected=data["class"],
            received=data["params"],
        ) from exc
    return transform
