"""``@on_demand`` features: the vectorized computation over Arrow columns equals the
one-row computation (the online path) row by row; ``vectorized=False``; and declarations
with missing or unsupported annotations are refused."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featurehouse.errors import DataError, SchemaError
from featurehouse.transforms.on_demand import OnDemandFeature, on_demand, on_demand_from_json


@on_demand
def amount_ratio(amount: float, avg_amount: float) -> float:
    return amount / (abs(avg_amount) + 1.0)


@on_demand
def log_amount(amount: float) -> float:
    return np.log1p(np.abs(amount)) * np.sign(amount)


@on_demand
def over_limit(count: int, limit: float) -> bool:
    return count > limit


@on_demand
def age_days(ts: datetime, signup: datetime) -> float:
    return (ts - signup) / timedelta(days=1)


@on_demand(vectorized=False)
def greeting(name: str, times: int) -> str:
    return (name[:3] + "!") * times


@on_demand(vectorized=False)
def risky(amount: float, country: str) -> bool:
    return country not in ("NO", "SE") and math.floor(amount) > 100


def _rows(columns: dict[str, pa.Array]) -> list[dict[str, Any]]:
    return pa.table(columns).to_pylist()


def _check(feature: OnDemandFeature, columns: dict[str, pa.Array]) -> pa.Array:
    """compute over the columns == compute_one of every row."""
    result = feature.compute(columns)
    assert result.type == feature.arrow_type() and len(result) == len(next(iter(columns.values())))
    one = [feature.compute_one(row) for row in _rows(columns)]
    for ours, theirs in zip(result.to_pylist(), one, strict=True):
        assert type(ours) is type(theirs)
        if isinstance(ours, float):
            assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-300)
        else:
            assert ours == theirs
    return result


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_float_features_equal_row_by_row(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    amount, avg = pa.array(rng.gamma(2.0, 40.0, n)), pa.array(rng.normal(0.0, 50.0, n))
    result = _check(amount_ratio, {"amount": amount, "avg_amount": avg})
    expected = amount.to_numpy() / (np.abs(avg.to_numpy()) + 1.0)
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=1e-12)
    _check(log_amount, {"amount": pa.array(rng.normal(0.0, 100.0, n))})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9)), min_size=1, max_size=30))
def test_vectorized_ratio_equals_row_by_row_on_any_floats(pairs: list[tuple[float, float]]) -> None:
    amounts, avgs = zip(*pairs, strict=True)
    _check(amount_ratio, {"amount": pa.array(amounts), "avg_amount": pa.array(avgs)})


def test_vectorized_int_bool_and_datetime_features_equal_row_by_row() -> None:
    rng = np.random.default_rng(4)
    counts = pa.array(rng.integers(0, 20, 100), pa.int64())
    limits = pa.array(rng.normal(10.0, 3.0, 100))
    result = _check(over_limit, {"count": counts, "limit": limits})
    assert result.type == pa.bool_()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ts = pa.array([start + timedelta(hours=int(h)) for h in rng.integers(0, 5000, 50)])
    signup = pa.array([start - timedelta(minutes=int(m)) for m in rng.integers(0, 10**6, 50)])
    _check(age_days, {"ts": ts, "signup": signup})


def test_row_by_row_features_compute_the_same_as_one_row_and_keep_nulls() -> None:
    names = pa.array(["Alexandra", "Bo", None, "Chris", ""])
    times = pa.array([1, 2, 3, None, 2], pa.int64())
    result = _check(greeting, {"name": names, "times": times})
    assert result.to_pylist() == ["Ale!", "Bo!Bo!", None, None, "!!"]
    amounts = pa.array([150.5, 99.9, None, 300.0])
    countries = pa.array(["FR", "FR", "FR", "NO"])
    assert _check(risky, {"amount": amounts, "country": countries}).to_pylist() == [
        True,
        False,
        None,
        False,
    ]


def test_vectorized_features_map_null_inputs_to_null_offline() -> None:
    columns = {"amount": pa.array([1.0, None, 3.0]), "avg_amount": pa.array([1.0, 2.0, None])}
    assert amount_ratio.compute(columns).to_pylist() == [0.5, None, None]
    counts = pa.array([1, None], pa.int64())  # an int column with nulls arrives as float NaN
    assert over_limit.compute({"count": counts, "limit": pa.array([0.5, 0.5])}).to_pylist() == [
        True,
        False,
    ]


def test_a_failing_feature_is_a_data_error_naming_it() -> None:
    columns = {"name": pa.array(["a"]), "times": pa.array([1])}
    with pytest.raises(DataError, match="'greeting'"):
        greeting.compute_one({"name": 5, "times": 1})
    with pytest.raises(DataError, match="'amount_ratio' failed") as info:
        amount_ratio.compute({"amount": pa.array(["x"]), "avg_amount": pa.array([1.0])})
    assert info.value.obj == "amount_ratio"
    assert greeting.compute(columns).to_pylist() == ["a!"]


def test_declared_features_round_trip_through_json() -> None:
    for feature in (amount_ratio, greeting):
        assert on_demand_from_json(feature.to_json()) is feature
    assert greeting.vectorized is False and amount_ratio.vectorized is True
    assert amount_ratio.inputs == (("amount", float), ("avg_amount", float))
    assert amount_ratio(3.0, 1.0) == 1.5  # still callable as the plain function


def _no_annotation(amount, rate: float) -> float:  # type: ignore[no-untyped-def]
    return float(amount * rate)


def _no_return(amount: float):  # type: ignore[no-untyped-def]
    return amount


def _optional(amount: Optional[float]) -> float:  # noqa: UP045
    return amount or 0.0


def _array(amount: np.ndarray) -> float:
    return float(amount.sum())


def _list(values: list[float]) -> float:
    return sum(values)


def _bad_return(amount: float) -> list[float]:
    return [amount]


def _decimal(amount: float) -> complex:
    return complex(amount)


@pytest.mark.parametrize(
    ("function", "column"),
    [
        (_no_annotation, "amount"),
        (_no_return, None),
        (_optional, "amount"),
        (_array, "amount"),
        (_list, "values"),
        (_bad_return, "return"),
        (_decimal, "return"),
    ],
)
def test_missing_or_unsupported_annotations_are_refused(function: Any, column: str | None) -> None:
    for declare in (on_demand, on_demand(vectorized=False)):
        with pytest.raises(SchemaError) as info:
            declare(function)
        assert info.value.obj == function.__name__
        assert info.value.column == column
        assert function.__name__ in str(info.value)
