"""Model-dependent transforms: fit statistics on training data, apply them anywhere.

A transform works on one feature. ``fit`` returns JSON-able statistics; ``apply`` maps a
numpy array of values to one or more output arrays; ``apply_one`` does the same for one
value without numpy (the online path). Statistics travel with the training dataset they
were fitted on, so the same numbers scale training rows, batch rows and online vectors.

A user-defined transform subclasses ``Transform``:

>>> class Clip(Transform):
...     name = "clip"
...     def fit(self, values): return {"high": float(np.nanpercentile(values, 99))}
...     def apply(self, values, stats): return [np.minimum(values, stats["high"])]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

from featurehouse.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np

Stats = dict[str, Any]


class Transform:
    """Base of every model-dependent transform: override ``fit`` and ``apply``."""

    name: ClassVar[str] = "transform"

    def params(self) -> dict[str, Any]:
        """The constructor arguments, to store the definition in the catalog."""
        return {}

    def fit(self, values: np.ndarray) -> Stats:
        """Statistics of the training values (nulls are NaN or None)."""
        return {}

    def outputs(self, feature: str, stats: Stats) -> list[str]:
        """Names of the columns this transform makes of ``feature``."""
        return [feature]

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        """The transformed columns, one array each."""
        raise NotImplementedError

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
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "params": self.params(),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({args})"


def import_reference(kind: str, name: str, reference: str) -> Any:
    """The object a stored ``module:qualname`` reference names (user code kept by path)."""
    module, _, qualname = reference.partition(":")
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise SchemaError(
            f"{kind} {name!r}: cannot import {reference!r} ({exc}); define it in an importable "
            "module, not in __main__ or a notebook cell",
            obj=name,
            expected="an importable module:name",
            received=reference,
        ) from exc
    return target


def transform_from_json(data: dict[str, Any]) -> Transform:
    """Rebuild a transform stored by ``to_json`` (its class must be importable)."""
    cls = import_reference("transform", data["name"], data["class"])
    transform: Transform = cls(**data["params"])
    return transform
