"""The built-in model-dependent transforms, each checked against scikit-learn's equivalent.

Nulls stay null through the numeric transforms. ``label_encoder`` maps a category it did
not see in training (or a null) to -1, and ``one_hot_encoder`` maps it to all zeros:
serving never fails on a new category. ``bucketize`` maps a null to -1.

On tables, the scalers and encoders read Arrow columns as numpy views (no copy, no
concatenation: chunk by chunk) and hand numpy's results back to Arrow without a copy; the
encoders look a text column up in its fitted categories (``pc.index_in``) instead of value
by value in Python.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.transforms.base import Column, Stats, Transform

if TYPE_CHECKING:
    import numpy as np

UNKNOWN = -1
EPS = 2.0**-52  # float64 machine epsilon


def _floats(values: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(values, dtype=float)  # None -> nan


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _chunks(column: Column) -> list[pa.Array]:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def _is_numeric(column: Column) -> bool:
    return bool(pa.types.is_integer(column.type) or pa.types.is_floating(column.type))


def _view(array: pa.Array, dtype: Any) -> np.ndarray:
    """A fixed-width array without nulls as a numpy view of its data: no copy, and no
    pandas (``to_numpy`` imports it)."""
    import numpy as np

    width = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype, len(array), array.offset * width)


def _float_values(array: pa.Array) -> np.ndarray:
    """A numeric array as float64, null as NaN; a large int rounds to the nearest float,
    as numpy's ``astype`` does."""
    floats = pc.fill_null(array.cast(pa.float64(), safe=False), math.nan)
    return _view(floats, "float64")


def _arrow(values: np.ndarray, type_: pa.DataType, validity: pa.Buffer | None = None) -> pa.Array:
    """A contiguous numpy array as an Arrow array sharing its memory. The outputs are made
    by numpy: Arrow's default pool (mimalloc) is several times slower the first time a
    process fills fresh memory, which a transform over a table does once."""
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(values)])


def _nan_as_null(values: np.ndarray) -> pa.Array:
    """Floats with their NaN as nulls (what ``pa.array(from_pandas=True)`` gives)."""
    import numpy as np

    nan = np.isnan(values)
    if not nan.any():
        return _arrow(values, pa.float64())
    return _arrow(values, pa.float64(), pa.py_buffer(np.packbits(~nan, bitorder="little")))


class _Affine(Transform):
    """(x - center) / scale, with a scale of 1 where the training data had no spread."""

    def center_scale(self, values: np.ndarray) -> tuple[float, float]:
        raise NotImplementedError

    def fit(self, values: np.ndarray) -> Stats:
        import numpy as np

        x = _floats(values)
        if np.isnan(x).all():
            return {"center": 0.0, "scale": 1.0}
        center, scale = self.center_scale(x)
        return {"center": center, "scale": 1.0 if self.is_constant(x, center, scale) else scale}

    def is_constant(self, values: np.ndarray, center: float, scale: float) -> bool:
        """A spread within rounding error (scikit-learn's ``_handle_zeros_in_scale``)."""
        return scale < 10 * EPS

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        return [(_floats(values) - stats["center"]) / stats["scale"]]

    def fit_column(self, column: Column) -> Stats:
        if not _is_numeric(column):
            return super().fit_column(column)
        whole = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return self.fit(_float_values(whole))

    def apply_column(self, column: Column, stats: Stats) -> list[Column]:
        if not _is_numeric(column):
            return super().apply_column(column, stats)
        chunks = []
        for chunk in _chunks(column):  # chunk by chunk: no concatenated copy
            scaled = _float_values(chunk) - stats["center"]
            scaled /= stats["scale"]  # in place: one new array, not two
            chunks.append(_nan_as_null(scaled))
        return [pa.chunked_array(chunks, pa.float64())]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        return [None if _is_null(value) else (value - stats["center"]) / stats["scale"]]


class StandardScaler(_Affine):
    """Zero mean, unit variance (population standard deviation, as scikit-learn)."""

    name: ClassVar[str] = "standard_scaler"

    def center_scale(self, values: np.ndarray) -> tuple[float, float]:
        import numpy as np

        return float(np.nanmean(values)), float(np.nanstd(values))

    def is_constant(self, values: np.ndarray, center: float, scale: float) -> bool:
        """scikit-learn's ``_is_constant_feature``: a variance within its rounding error."""
        import numpy as np

        n, var = int(np.count_nonzero(~np.isnan(values))), scale * scale
        return var <= n * EPS * var + (n * center * EPS) ** 2


class MinMaxScaler(_Affine):
    """Training minimum to 0, maximum to 1."""

    name: ClassVar[str] = "min_max_scaler"

    def center_scale(self, values: np.ndarray) -> tuple[float, float]:
        import numpy as np

        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        return low, high - low


class RobustScaler(_Affine):
    """Median to 0, interquartile range to 1."""

    name: ClassVar[str] = "robust_scaler"

    def center_scale(self, values: np.ndarray) -> tuple[float, float]:
        import numpy as np

        q25, median, q75 = np.nanpercentile(values, [25, 50, 75])
        return float(median), float(q75 - q25)


class Log1p(Transform):
    """log(1 + x); nothing to fit."""

    name: ClassVar[str] = "log1p"

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        import numpy as np

        return [np.log1p(_floats(values))]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        if _is_null(value) or value < -1:
            return [None]  # apply gives NaN: a null in a table
        return [-math.inf if value == -1 else math.log1p(value)]


def _text(value: Any) -> str:
    """A category's text; 1.0 (an int column with nulls is read as float) as "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _categories(values: np.ndarray) -> list[str]:
    return sorted({_text(v) for v in values.tolist() if not _is_null(v)})


def _is_text(column: Column) -> bool:
    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _codes(column: Column, categories: list[str]) -> np.ndarray:
    """Each value's index in ``categories`` (a text column), -1 for a null or an unseen one."""
    codes = pc.fill_null(pc.index_in(column, value_set=pa.array(categories, column.type)), UNKNOWN)
    return _view(codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes, "int32")


class _Encoder(Transform):
    """Categories fitted as sorted text (a text column's in Arrow, not value by value)."""

    def fit(self, values: np.ndarray) -> Stats:
        return {"categories": _categories(values)}

    def fit_column(self, column: Column) -> Stats:
        if not _is_text(column):
            return super().fit_column(column)
        return {"categories": sorted(pc.unique(column).drop_null().to_pylist())}


class LabelEncoder(_Encoder):
    """Each training category to its index in sorted order; unseen or null to -1."""

    name: ClassVar[str] = "label_encoder"

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        import numpy as np

        index = {c: i for i, c in enumerate(stats["categories"])}
        codes = [UNKNOWN if _is_null(v) else index.get(_text(v), UNKNOWN) for v in values.tolist()]
        return [np.array(codes, dtype=np.int64)]

    def apply_column(self, column: Column, stats: Stats) -> list[Column]:
        if not _is_text(column):
            return super().apply_column(column, stats)
        import numpy as np

        return [_arrow(_codes(column, stats["categories"]).astype(np.int64), pa.int64())]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        categories: list[str] = stats["categories"]
        if _is_null(value):
            return [UNKNOWN]
        text = _text(value)
        i = bisect.bisect_left(categories, text)
        return [i if i < len(categories) and categories[i] == text else UNKNOWN]


class OneHotEncoder(_Encoder):
    """One 0/1 column per training category (``feature_category``); unseen or null: all 0."""

    name: ClassVar[str] = "one_hot_encoder"

    def outputs(self, feature: str, stats: Stats) -> list[str]:
        names: list[str] = []
        for category in stats["categories"]:
            name = base = f"{feature}_{re.sub(r'[^A-Za-z0-9_]', '_', category)}"
            suffix = 2
            while name in names:  # "a b" and "a_b": f_a_b, f_a_b_2
                name, suffix = f"{base}_{suffix}", suffix + 1
            names.append(name)
        return names

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        import numpy as np

        text = np.array([None if _is_null(v) else _text(v) for v in values.tolist()], dtype=object)
        return [(text == c).astype(float) for c in stats["categories"]]

    def apply_column(self, column: Column, stats: Stats) -> list[Column]:
        if not _is_text(column):
            return super().apply_column(column, stats)
        import numpy as np

        codes = _codes(column, stats["categories"])
        return [
            _arrow((codes == i).astype(np.float64), pa.float64())
            for i in range(len(stats["categories"]))
        ]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        text = None if _is_null(value) else _text(value)
        return [1.0 if c == text else 0.0 for c in stats["categories"]]


class Bucketize(Transform):
    """The index of the bucket a value falls in: bucket i holds
    ``boundaries[i-1] <= x < boundaries[i]``; null to -1."""

    name: ClassVar[str] = "bucketize"

    def __init__(self, boundaries: Sequence[float]) -> None:
        self.boundaries = [float(b) for b in boundaries]
        if self.boundaries != sorted(self.boundaries):
            from featurehouse.errors import SchemaError

            raise SchemaError(
                f"bucketize: boundaries must be sorted, received {self.boundaries}",
                obj="bucketize",
                expected="sorted boundaries",
                received=self.boundaries,
            )

    def params(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries}

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        import numpy as np

        x = _floats(values)
        buckets = np.searchsorted(np.array(self.boundaries), x, side="right").astype(np.int64)
        buckets[np.isnan(x)] = UNKNOWN
        return [buckets]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        return [UNKNOWN if _is_null(value) else bisect.bisect_right(self.boundaries, value)]


def standard_scaler() -> StandardScaler:
    return StandardScaler()


def min_max_scaler() -> MinMaxScaler:
    return MinMaxScaler()


def robust_scaler() -> RobustScaler:
    return RobustScaler()


def log1p() -> Log1p:
    return Log1p()


def label_encoder() -> LabelEncoder:
    return LabelEncoder()


def one_hot_encoder() -> OneHotEncoder:
    return OneHotEncoder()


def bucketize(boundaries: Sequence[float]) -> Bucketize:
    return Bucketize(boundaries)
