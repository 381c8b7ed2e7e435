"""Every built-in transform against scikit-learn's equivalent, fitted on one random sample
and applied to another, through ``apply`` (numpy) and ``apply_one`` (one Python value).

Nulls: the scalers and ``log1p`` keep NaN/None null, as scikit-learn keeps NaN.
``label_encoder`` and ``one_hot_encoder`` map a null to -1 / all zeros (scikit-learn would
make a category of a null seen in training, so nulls are compared at apply time only).
``bucketize`` matches ``np.digitize(x, boundaries, right=False)``: bucket i holds
``boundaries[i-1] <= x < boundaries[i]``; a null goes to -1 (digitize: past the end).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from featurehouse.errors import SchemaError
from featurehouse.transforms.base import Transform
from featurehouse.transforms.builtin import (
    bucketize,
    label_encoder,
    log1p,
    min_max_scaler,
    one_hot_encoder,
    robust_scaler,
    standard_scaler,
)

RTOL, ATOL = 1e-9, 1e-12
NUMERIC = {
    "standard_scaler": (standard_scaler, StandardScaler),
    "min_max_scaler": (min_max_scaler, MinMaxScaler),
    "robust_scaler": (robust_scaler, RobustScaler),
    "log1p": (log1p, lambda: FunctionTransformer(np.log1p)),
}


def _sample(seed: int, n: int, nulls: float = 0.1) -> np.ndarray:
    """Skewed values with negatives (all > -1 after the shift, for log1p) and some NaN."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(1.0, 1.2, n) - 0.9
    x[rng.random(n) < nulls] = np.nan
    return x


def _one_by_one(transform: Transform, values: np.ndarray, stats: Any) -> np.ndarray:
    """``apply_one`` on every value, None as NaN (one output column)."""
    out = [transform.apply_one(v, stats) for v in values.tolist()]
    assert all(len(o) == 1 for o in out)
    return np.array([np.nan if o[0] is None else o[0] for o in out], dtype=float)


def _check_numeric(name: str, train: np.ndarray, test: np.ndarray) -> None:
    make, sklearn_make = NUMERIC[name]
    transform = make()
    stats = transform.fit(train)
    theirs = sklearn_make().fit(train.reshape(-1, 1)).transform(test.reshape(-1, 1))[:, 0]
    (ours,) = transform.apply(test, stats)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_one_by_one(transform, test, stats), ours, rtol=1e-12, atol=0)
    # the object array a string/nullable column gives (None for null) behaves the same
    objects = np.array([None if np.isnan(v) else v for v in test.tolist()], dtype=object)
    np.testing.assert_allclose(transform.apply(objects, stats)[0], ours, rtol=0, atol=0)


@pytest.mark.parametrize("name", list(NUMERIC))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numeric_transforms_match_sklearn_with_nulls(name: str, seed: int) -> None:
    _check_numeric(name, _sample(seed, 1_000), _sample(seed + 100, 300))


@pytest.mark.parametrize("name", ["standard_scaler", "min_max_scaler", "robust_scaler"])
def test_scalers_match_sklearn_on_negative_and_shifted_values(name: str) -> None:
    rng = np.random.default_rng(7)
    _check_numeric(name, rng.normal(-500.0, 40.0, 501), rng.normal(-480.0, 60.0, 200))


@pytest.mark.parametrize("name", ["standard_scaler", "min_max_scaler", "robust_scaler"])
@pytest.mark.parametrize("value", [0.0, 3.0, -2.5, 1024.0])
def test_scalers_of_a_constant_column_match_sklearn(name: str, value: float) -> None:
    train = np.full(50, value)
    train[::7] = np.nan
    _check_numeric(name, train, np.array([value, value + 1.0, value - 2.0, np.nan]))


@pytest.mark.parametrize("name", ["standard_scaler", "min_max_scaler", "robust_scaler"])
def test_scalers_of_an_all_null_column_pass_values_through(name: str) -> None:
    transform = NUMERIC[name][0]()
    stats = transform.fit(np.full(5, np.nan))
    assert stats == {"center": 0.0, "scale": 1.0}
    np.testing.assert_array_equal(transform.apply(np.array([2.0, np.nan]), stats)[0], [2.0, np.nan])


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
with_nulls = st.one_of(finite, st.just(float("nan")))


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(["standard_scaler", "min_max_scaler", "robust_scaler"]),
    train=st.lists(with_nulls, min_size=2, max_size=60),
    test=st.lists(with_nulls, min_size=1, max_size=20),
)
def test_scalers_match_sklearn_on_any_values(
    name: str, train: list[float], test: list[float]
) -> None:
    x = np.array(train)
    known = x[~np.isnan(x)]
    assume(known.size >= 2)
    # Spreads within rounding error are refused: scikit-learn takes them for 0 (scale 1),
    # featurehouse divides by them (test_known_bugs.py). Exact 0 (scale 1) is fine.
    q25, q75 = np.percentile(known, [25, 75])
    spread = {"standard_scaler": np.std(known), "min_max_scaler": np.ptp(known)}.get(
        name, q75 - q25
    )
    tolerance = 1e-3 * (1.0 + np.abs(known).max())
    assume(np.ptp(known) >= tolerance and (spread == 0 or spread >= tolerance))
    _check_numeric(name, x, np.array(test))


def test_log1p_keeps_sklearn_values_at_and_below_minus_one_in_apply() -> None:
    x = np.array([-3.0, -1.0, -0.5, 0.0, 1e-12, 5.0, np.nan])
    with np.errstate(divide="ignore", invalid="ignore"):
        theirs = FunctionTransformer(np.log1p).fit_transform(x.reshape(-1, 1))[:, 0]
        (ours,) = log1p().apply(x, {})
    np.testing.assert_array_equal(ours, theirs)  # nan, -inf, ...


# -- categories ---------------------------------------------------------------------------

COLORS = np.array(["red", "green", "blue", "amber", "teal", "x_1", "A", ""], dtype=object)


def _categories(seed: int, n: int, pool: np.ndarray = COLORS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(pool, n, p=np.arange(len(pool), 0, -1) / np.arange(len(pool), 0, -1).sum())


def _check_label(train: np.ndarray, test: np.ndarray) -> None:
    transform = label_encoder()
    stats = transform.fit(train)
    sk = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    theirs = sk.fit(train.reshape(-1, 1)).transform(test.reshape(-1, 1))[:, 0]
    (ours,) = transform.apply(test, stats)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, theirs)
    assert stats["categories"] == [str(c) for c in sk.categories_[0]]
    one = [transform.apply_one(v, stats) for v in test.tolist()]
    np.testing.assert_array_equal(np.array(one)[:, 0], ours)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_label_encoder_matches_ordinal_encoder_with_unseen_categories(seed: int) -> None:
    train = _categories(seed, 500, COLORS[:5])  # "x_1", "A", "" are unseen
    test = _categories(seed + 1, 200)
    _check_label(train, test)
    assert (label_encoder().apply(test, label_encoder().fit(train))[0] == -1).any()


@settings(max_examples=100, deadline=None)
@given(
    train=st.lists(st.text(max_size=4), min_size=1, max_size=40),
    test=st.lists(st.text(max_size=4), min_size=1, max_size=20),
)
def test_label_encoder_matches_ordinal_encoder_on_any_strings(
    train: list[str], test: list[str]
) -> None:
    _check_label(np.array(train, dtype=object), np.array(test, dtype=object))


def test_label_encoder_maps_null_to_minus_one_both_ways() -> None:
    transform = label_encoder()
    stats = transform.fit(np.array(["b", None, "a", float("nan")], dtype=object))
    assert stats == {"categories": ["a", "b"]}
    test = np.array(["a", None, "b", float("nan"), "c"], dtype=object)
    np.testing.assert_array_equal(transform.apply(test, stats)[0], [0, -1, 1, -1, -1])
    assert [transform.apply_one(v, stats)[0] for v in test.tolist()] == [0, -1, 1, -1, -1]


def test_label_encoder_of_integers_is_ordinal_encoder_of_their_text() -> None:
    """Integer categories are compared as text: sorted "10" < "9", unlike OrdinalEncoder
    on the integers (see the report); on their ``str`` the two agree."""
    rng = np.random.default_rng(3)
    train, test = rng.integers(0, 12, 300), rng.integers(0, 15, 100)
    _check_label(train.astype(str).astype(object), test.astype(str).astype(object))
    stats = label_encoder().fit(train)
    np.testing.assert_array_equal(
        label_encoder().apply(test, stats)[0],
        label_encoder().apply(test.astype(str).astype(object), stats)[0],
    )


def _check_one_hot(train: np.ndarray, test: np.ndarray, feature: str = "color") -> None:
    transform = one_hot_encoder()
    stats = transform.fit(train)
    sk = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train.reshape(-1, 1))
    theirs = sk.transform(test.reshape(-1, 1))
    ours = transform.apply(test, stats)
    assert transform.outputs(feature, stats) == list(sk.get_feature_names_out([feature]))
    np.testing.assert_array_equal(np.column_stack(ours) if ours else theirs, theirs)
    one = np.array([transform.apply_one(v, stats) for v in test.tolist()]).reshape(theirs.shape)
    np.testing.assert_array_equal(one, theirs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_hot_encoder_matches_sklearn_with_unseen_categories(seed: int) -> None:
    train = _categories(seed, 500, np.array(["red", "green", "blue", "amber", "x_1"]))
    _check_one_hot(train, _categories(seed + 1, 200, np.array(["red", "teal", "x_1", "blue"])))


@settings(max_examples=100, deadline=None)
@given(
    train=st.lists(st.text("abcXYZ019_", max_size=3), min_size=1, max_size=40),
    test=st.lists(st.text("abcXYZ019_", max_size=3), min_size=1, max_size=20),
)
def test_one_hot_encoder_matches_sklearn_on_any_names(train: list[str], test: list[str]) -> None:
    _check_one_hot(np.array(train, dtype=object), np.array(test, dtype=object))


def test_one_hot_encoder_gives_all_zeros_for_null_and_unseen() -> None:
    transform = one_hot_encoder()
    stats = transform.fit(np.array(["b", "a", None], dtype=object))
    assert transform.outputs("f", stats) == ["f_a", "f_b"]
    test = np.array([None, "zzz", float("nan"), "a"], dtype=object)
    np.testing.assert_array_equal(
        np.column_stack(transform.apply(test, stats)), [[0, 0]] * 3 + [[1, 0]]
    )
    assert [transform.apply_one(v, stats) for v in test.tolist()] == [[0.0, 0.0]] * 3 + [[1.0, 0.0]]


# -- bucketize -----------------------------------------------------------------------------


def _check_bucketize(boundaries: list[float], test: np.ndarray) -> None:
    transform = bucketize(boundaries)
    (ours,) = transform.apply(test, {})
    assert ours.dtype == np.int64
    known = ~np.isnan(test)
    np.testing.assert_array_equal(ours[known], np.digitize(test[known], boundaries, right=False))
    assert (ours[~known] == -1).all()
    np.testing.assert_array_equal([transform.apply_one(v, {})[0] for v in test.tolist()], ours)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bucketize_matches_kbins_discretizer_edges(seed: int) -> None:
    rng = np.random.default_rng(seed)
    train, test = rng.normal(0.0, 5.0, (400, 1)), rng.normal(1.0, 8.0, (200, 1))
    kbins = KBinsDiscretizer(n_bins=6, encode="ordinal", strategy="uniform").fit(train)
    inner = [float(b) for b in kbins.bin_edges_[0][1:-1]]  # outer edges: open-ended buckets
    test[:5, 0] = inner[:5]  # values on an edge go to the bucket above it
    np.testing.assert_array_equal(
        bucketize(inner).apply(test[:, 0], {})[0], kbins.transform(test)[:, 0]
    )
    with_nulls = test[:, 0].copy()
    with_nulls[::9] = np.nan
    _check_bucketize(inner, with_nulls)


def test_bucketize_semantics_left_closed() -> None:
    transform = bucketize([0, 10, 20])
    x = np.array([-1.0, 0.0, 9.999, 10.0, 20.0, 1e9, np.nan])
    np.testing.assert_array_equal(transform.apply(x, {})[0], [0, 1, 1, 2, 3, 3, -1])
    assert transform.apply_one(10, {}) == [2] and transform.apply_one(None, {}) == [-1]


@settings(max_examples=150, deadline=None)
@given(
    boundaries=st.lists(finite, min_size=1, max_size=8).map(sorted),
    values=st.lists(with_nulls, max_size=20),
    on_edges=st.lists(st.integers(0, 7), max_size=5),
)
def test_bucketize_matches_digitize_on_any_values(
    boundaries: list[float], values: list[float], on_edges: list[int]
) -> None:
    edges = [boundaries[i % len(boundaries)] for i in on_edges]
    _check_bucketize(boundaries, np.array([*values, *edges], dtype=float))


def test_bucketize_refuses_unsorted_boundaries() -> None:
    with pytest.raises(SchemaError, match="sorted"):
        bucketize([1.0, 0.0])
