"""Edge cases of transforms and on-demand features where training and serving once
disagreed: near-constant columns, log1p at -1, integer categories with nulls, colliding
one-hot names, nulls and division by zero online, on-demand features without inputs."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

import featurehouse as fh
from featurehouse.transforms.apply import fit, transform_table, transform_vector
from featurehouse.transforms.base import Stats, Transform
from featurehouse.transforms.builtin import (
    label_encoder,
    log1p,
    min_max_scaler,
    one_hot_encoder,
    robust_scaler,
    standard_scaler,
)
from featurehouse.transforms.on_demand import on_demand


@on_demand
def spend_ratio(amount: float, avg: float) -> float:
    return amount / (abs(avg) + 1.0)


@on_demand
def per_item(amount: float, items: float) -> float:
    return amount / items


@on_demand
def constant_one() -> float:
    return 1.0


@on_demand(vectorized=False)
def constant_rows() -> float:
    return 1.0


class Halve(Transform):
    """A user transform relying on the default ``apply_one``."""

    name = "halve"

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        return [np.asarray(values, dtype=float) / 2.0]


@pytest.mark.parametrize(
    ("make", "sklearn_make", "train"),
    [
        (standard_scaler, StandardScaler, np.full(7, 0.1)),  # nanstd 1.4e-17, not 0
        (min_max_scaler, MinMaxScaler, np.array([1.0, 1.0 + 2.0**-52])),  # range < 10 eps
        (robust_scaler, RobustScaler, np.array([0.0, 0.0, 1.0, 6.7e-21, 6.7e-21])),  # IQR 6.7e-21
    ],
)
def test_near_constant_column_scales_like_sklearn(make: Any, sklearn_make: Any, train: Any) -> None:
    """featurehouse divides by a spread lost in rounding (values 0 or +-1), scikit-learn
    treats the column as constant (scale 1, values ~0)."""
    transform = make()
    ours = transform.apply(train, transform.fit(train))[0]
    theirs = sklearn_make().fit_transform(train.reshape(-1, 1))[:, 0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("value", [-1.0, -2.0])
def test_log1p_apply_one_at_or_below_minus_one_gives_what_apply_gives(value: float) -> None:
    """apply: -inf / NaN (a null in a table); apply_one: ValueError (math domain error)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        (vectorized,) = log1p().apply(np.array([value]), {})
    expected = None if math.isnan(vectorized[0]) else float(vectorized[0])
    assert log1p().apply_one(value, {}) == [expected]


def test_label_encoder_of_an_int_column_with_nulls_encodes_its_ints() -> None:
    """A null makes the training column float: categories "1.0", "2.0"; an int 1 online, or
    a batch without nulls, is then unseen (-1)."""
    transforms = {"store": label_encoder()}
    stats = fit(transforms, pa.table({"store": pa.array([1, 2, None], pa.int64())}))
    assert transform_vector({"store": 1}, transforms, stats) == {"store": 0}
    batch = pa.table({"store": pa.array([1, 2], pa.int64())})
    assert transform_table(batch, transforms, stats).column("store").to_pylist() == [0, 1]


@pytest.mark.parametrize("category", ["None", "nan"])
def test_label_encoder_maps_null_to_minus_one_even_with_a_lookalike_category(category: str) -> None:
    """apply looks up str(None) / str(nan): the category "None" / "nan"; apply_one says -1."""
    transform = label_encoder()
    stats = transform.fit(np.array([category, "x"], dtype=object))
    test = np.array([None, float("nan")], dtype=object)
    assert transform.apply(test, stats)[0].tolist() == [-1, -1]


def test_one_hot_output_names_are_unique() -> None:
    """Categories "a b" and "a_b" both become column "f_a_b": a table with two columns of
    one name, and a vector where the second overwrites the first (the 1.0 is lost)."""
    transforms = {"f": one_hot_encoder()}
    stats = fit(transforms, pa.table({"f": ["a b", "a_b", "c"]}))
    vector = transform_vector({"f": "a b"}, transforms, stats)
    assert len(vector) == 3 and sum(vector.values()) == 1.0


def test_default_apply_one_gives_null_where_a_table_gives_null() -> None:
    """A table holds a null (NaN -> null through ``from_pandas``); the vector holds NaN."""
    transforms = {"x": Halve()}
    table = transform_table(pa.table({"x": pa.array([None, 2.0])}), transforms, {"x": {}})
    assert table.column("x").to_pylist()[0] is None
    assert transform_vector({"x": None}, transforms, {"x": {}}) == {"x": None}


def test_vectorized_on_demand_one_row_with_a_null_input_gives_null() -> None:
    """Offline a null input gives a null; online the function gets None and raises."""
    assert spend_ratio.compute(
        {"amount": pa.array([2.0]), "avg": pa.array([None], pa.float64())}
    ).to_pylist() == [None]
    assert spend_ratio.compute_one({"amount": 2.0, "avg": None}) is None


def test_vectorized_on_demand_one_row_divides_by_zero_as_numpy() -> None:
    """Offline numpy gives inf; online Python raises ZeroDivisionError."""
    with np.errstate(divide="ignore"):
        offline = per_item.compute({"amount": pa.array([3.0]), "items": pa.array([0.0])})
    assert offline.to_pylist() == [math.inf]
    assert per_item.compute_one({"amount": 3.0, "items": 0.0}) == math.inf


def _store(path: Path) -> tuple[Any, Any, Any]:
    """Groups g (ids 1, 2) and h (id 1 only), online."""
    fs = fh.connect(path)
    ts = pa.array([datetime(2025, 1, 1, tzinfo=UTC)] * 2)
    g = fs.create_feature_group("g", primary_key=["id"], event_time="ts", online=True)
    g.insert(pa.table({"id": [1, 2], "ts": ts, "amount_avg": [1.0, 4.0]}))
    h = fs.create_feature_group("h", primary_key=["id"], event_time="ts", online=True)
    h.insert(pa.table({"id": [1], "ts": ts[:1], "avg": [5.0]}))
    return fs, g, h


SPINE = pa.table({"id": [2], "ts": pa.array([datetime(2025, 2, 1, tzinfo=UTC)]), "amount": [2.0]})


@pytest.mark.parametrize("feature", [constant_one, constant_rows])
def test_on_demand_feature_without_inputs_in_training_data(tmp_path: Path, feature: Any) -> None:
    """No input column says how many rows: StopIteration (vectorized) or an empty column."""
    fs, g, _ = _store(tmp_path)
    fv = fs.create_feature_view("v", query=g.select_all(), on_demand=[feature])
    rows = fv.training_data(SPINE.drop_columns(["amount"])).to_pylist()
    fs.close()
    assert [r[feature.name] for r in rows] == [1.0]


def test_feature_vector_of_an_entity_missing_from_a_group(tmp_path: Path) -> None:
    """training_data gives the on-demand feature null for an entity a group lacks; the
    online vector of the same entity raises DataError."""
    fs, g, h = _store(tmp_path)
    fv = fs.create_feature_view(
        "v", query=g.select_all().join(h.select_all(), on="id"), on_demand=[spend_ratio]
    )
    assert fv.training_data(SPINE).to_pylist()[0]["spend_ratio"] is None
    vector = fv.get_feature_vector({"id": 2}, request={"amount": 2.0})
    fs.close()
    assert vector == {"amount_avg": 4.0, "avg": None, "spend_ratio": None}
