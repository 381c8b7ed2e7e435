"""The built-in transforms' Arrow paths on tables (``fit_column`` / ``apply_column``, which
the scalers and encoders override for speed) give exactly what their numpy paths give
(``fit`` / ``apply`` through the base class, checked against scikit-learn in
test_builtin.py): the same values, nulls and types, on random chunked columns with NaN,
±inf, nulls, extreme ints, empty and unicode strings."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from featurehouse.transforms.apply import fit, transform_table
from featurehouse.transforms.base import Transform
from featurehouse.transforms.builtin import (
    label_encoder,
    min_max_scaler,
    one_hot_encoder,
    robust_scaler,
    standard_scaler,
)

SCALERS = [standard_scaler, min_max_scaler, robust_scaler]
ENCODERS = [label_encoder, one_hot_encoder]
TEXT = ["red", "", "é", "日本", "a b", "a_b", "None", "nan", " ", "🙂", "Red"]


def _chunked(values: Any, type_: pa.DataType, rng: Any, mask: Any = None) -> pa.ChunkedArray:
    """``values`` in random chunks, one of them empty."""
    array = pa.array(values, type_, mask=mask)
    cuts = sorted(rng.integers(0, len(array) + 1, 3).tolist())
    bounds = [0, *cuts, cuts[-1], len(array)]  # cuts[-1] twice: an empty chunk
    return pa.chunked_array([array.slice(a, b - a) for a, b in pairwise(bounds)], type_)


def _floats(seed: int, n: int, infinite: bool = True) -> pa.ChunkedArray:
    """Normal values with NaN, nulls and (if ``infinite``) ±inf."""
    rng = np.random.default_rng(seed)
    x = rng.normal(-3.0, 20.0, n)
    x[rng.random(n) < 0.1] = np.nan
    if infinite:
        x[rng.random(n) < 0.05] = np.inf
        x[rng.random(n) < 0.05] = -np.inf
    return _chunked(x, pa.float64(), rng, mask=rng.random(n) < 0.1)


def _text(seed: int, n: int, pool: list[str], type_: pa.DataType) -> pa.ChunkedArray:
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array(pool, dtype=object), n).tolist()
    return _chunked(values, type_, rng, mask=rng.random(n) < 0.1)


def _numpy_path(transform: Transform, train: Any, test: Any) -> tuple[Any, list[Any]]:
    stats = Transform.fit_column(transform, train)
    return stats, Transform.apply_column(transform, test, stats)


def _assert_same(ours: list[Any], reference: list[Any]) -> None:
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference, strict=True):
        assert a.type == b.type
        assert a.null_count == b.null_count
        assert a.to_pylist() == b.to_pylist()  # no NaN is left: NaN != NaN would fail


@pytest.mark.parametrize("make", SCALERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scalers_on_float_columns_with_nan_inf_and_nulls(make: Any, seed: int) -> None:
    transform = make()
    train, test = _floats(seed, 2_000, infinite=False), _floats(seed + 10, 700)
    stats, reference = _numpy_path(transform, train, test)
    assert transform.fit_column(train) == stats
    ours = transform.apply_column(test, stats)
    _assert_same(ours, reference)
    assert ours[0].null_count > test.null_count  # NaN became null too
    assert np.isinf(np.asarray(ours[0].drop_null())).any()


@pytest.mark.parametrize("make", SCALERS)
def test_scalers_fitted_on_infinite_values(make: Any) -> None:
    transform, train = make(), _floats(3, 300)
    stats, reference = _numpy_path(transform, train, _floats(4, 100))
    _assert_same(transform.apply_column(_floats(4, 100), stats), reference)


@pytest.mark.parametrize("make", SCALERS)
@pytest.mark.parametrize(
    "type_", [pa.int64(), pa.int32(), pa.uint64(), pa.float32(), pa.int8()], ids=str
)
def test_scalers_on_other_numeric_types(make: Any, type_: pa.DataType) -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(-100, 100, 500) if pa.types.is_signed_integer(type_) else None
    values = rng.integers(0, 100, 500) if values is None else values
    for mask in (None, rng.random(500) < 0.2):  # without nulls: numpy's astype path
        column = _chunked(values, type_, rng, mask=mask)
        stats, reference = _numpy_path(make(), column, column)
        _assert_same(make().apply_column(column, stats), reference)


def test_scalers_round_extreme_ints_as_numpy() -> None:
    values = [2**62, -(2**62), 2**53 + 1, -(2**63), 2**63 - 1, 0]
    column = pa.chunked_array([pa.array(values[:3]), pa.array(values[3:])], pa.int64())
    stats = {"center": 1.0, "scale": 3.0}
    expected = (np.array(values, dtype=np.int64).astype(float) - 1.0) / 3.0
    (ours,) = standard_scaler().apply_column(column, stats)
    assert ours.to_pylist() == expected.tolist()
    _assert_same([ours], Transform.apply_column(standard_scaler(), column, stats))
    # with a null too (once a safe cast that refused 2**53 + 1)
    (ours,) = standard_scaler().apply_column(pa.array([*values, None], pa.int64()), stats)
    assert ours.to_pylist() == [*expected.tolist(), None]


@pytest.mark.parametrize("make", ENCODERS)
@pytest.mark.parametrize("type_", [pa.string(), pa.large_string()], ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_encoders_on_text_with_nulls_unseen_empty_and_unicode(
    make: Any, type_: pa.DataType, seed: int
) -> None:
    transform = make()
    train = _text(seed, 1_000, TEXT[:8], type_)  # " ", "🙂", "Red" unseen
    test = _text(seed + 10, 400, TEXT, type_)
    stats, reference = _numpy_path(transform, train, test)
    assert transform.fit_column(train) == stats
    assert "" in stats["categories"] and "日本" in stats["categories"]
    ours = transform.apply_column(test, stats)
    _assert_same(ours, reference)
    assert ours[0].type == (pa.int64() if make is label_encoder else pa.float64())


@pytest.mark.parametrize("make", ENCODERS)
def test_encoders_with_categories_fitted_elsewhere(make: Any) -> None:
    """Statistics stored from an int column (categories as text) apply to a text column,
    and none (an all-null training column) make every value unknown."""
    test = pa.chunked_array([pa.array(["1", "10", None, "7", ""])])
    for categories in (["1", "10", "2"], []):
        stats = {"categories": categories}
        _assert_same(make().apply_column(test, stats), Transform.apply_column(make(), test, stats))


def test_tables_of_no_rows() -> None:
    transforms = {"x": standard_scaler(), "c": one_hot_encoder(), "k": label_encoder()}
    train = pa.table({"x": [1.0, 3.0], "c": ["a", "b"], "k": ["u", None]})
    stats = fit(transforms, train)
    empty = pa.table({"x": pa.chunked_array([], pa.float64()), "c": pa.array([], pa.string())})
    empty = empty.append_column("k", pa.chunked_array([], pa.string()))
    out = transform_table(empty, transforms, stats)
    assert out.column_names == ["x", "c_a", "c_b", "k"] and out.num_rows == 0
    assert [f.type for f in out.schema] == [pa.float64(), pa.float64(), pa.float64(), pa.int64()]
