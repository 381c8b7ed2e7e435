"""User-defined transforms (module-level ``Transform`` subclasses) through
``featurehouse.transforms.apply``: fit, transform_table, transform_vector, and a failing
transform reported as a DataError naming the transform and the feature."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from featurehouse.errors import DataError
from featurehouse.transforms.apply import fit, output_names, transform_table, transform_vector
from featurehouse.transforms.base import Stats, Transform, transform_from_json
from featurehouse.transforms.builtin import one_hot_encoder, standard_scaler


class ClipHigh(Transform):
    """Values above the training percentile ``q`` to that percentile (default apply_one)."""

    name = "clip_high"

    def __init__(self, q: float = 90.0) -> None:
        self.q = q

    def params(self) -> dict[str, Any]:
        return {"q": self.q}

    def fit(self, values: np.ndarray) -> Stats:
        return {"high": float(np.nanpercentile(np.asarray(values, dtype=float), self.q))}

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        return [np.minimum(np.asarray(values, dtype=float), stats["high"])]


class Split(Transform):
    """Two columns, the positive and the negative part, with its own apply_one."""

    name = "split"

    def fit(self, values: np.ndarray) -> Stats:
        return {}

    def outputs(self, feature: str, stats: Stats) -> list[str]:
        return [f"{feature}_pos", f"{feature}_neg"]

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        x = np.asarray(values, dtype=float)
        return [np.maximum(x, 0.0), np.minimum(x, 0.0)]

    def apply_one(self, value: Any, stats: Stats) -> list[Any]:
        if value is None:
            return [None, None]
        return [max(value, 0.0), min(value, 0.0)]


class Broken(Transform):
    name = "broken"

    def fit(self, values: np.ndarray) -> Stats:
        return {"n": len(values)}

    def apply(self, values: np.ndarray, stats: Stats) -> list[np.ndarray]:
        raise ValueError("cannot work today")


class BrokenFit(Transform):
    name = "broken_fit"

    def fit(self, values: np.ndarray) -> Stats:
        raise ZeroDivisionError("no rows")


def _nulls_as_nan(row: dict[str, Any]) -> dict[str, Any]:
    """None as NaN: the default ``apply_one`` gives NaN where a table holds a null (see
    test_known_bugs.py)."""
    return {k: float("nan") if v is None else v for k, v in row.items()}


def _table(seed: int, n: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = rng.normal(0.0, 10.0, n)
    return pa.table(
        {
            "id": np.arange(n),
            "amount": pa.array(amount, mask=rng.random(n) < 0.1),
            "delta": rng.normal(0.0, 1.0, n),
            "city": rng.choice(["oslo", "rome", "lima"], n).tolist(),
            "untouched": rng.random(n),
        }
    )


TRANSFORMS: dict[str, Transform] = {
    "amount": ClipHigh(q=75.0),
    "delta": Split(),
    "city": one_hot_encoder(),
    "untouched": standard_scaler(),
}


def test_user_transforms_fit_and_apply_to_tables_and_vectors() -> None:
    train, batch = _table(0, 500), _table(1, 200)
    transforms = {k: v for k, v in TRANSFORMS.items() if k != "untouched"}
    stats = json.loads(json.dumps(fit(transforms, train)))
    known = train.column("amount").drop_null().to_numpy()
    assert stats["amount"] == {"high": float(np.percentile(known, 75.0))}

    out = transform_table(batch, transforms, stats)
    names = ["id", "amount", "delta_pos", "delta_neg", "city_lima", "city_oslo", "city_rome"]
    assert out.column_names == [*names, "untouched"]
    assert output_names(batch.column_names, transforms, stats) == out.column_names
    amount = batch.column("amount").to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(
        out.column("amount").to_numpy(zero_copy_only=False),
        np.minimum(amount, stats["amount"]["high"]),
    )
    assert out.column("amount").null_count == batch.column("amount").null_count
    delta = batch.column("delta").to_numpy()
    np.testing.assert_array_equal(out.column("delta_pos").to_numpy(), np.maximum(delta, 0.0))
    assert out.column("untouched").equals(batch.column("untouched"))

    for row, expected in zip(batch.to_pylist(), out.to_pylist(), strict=True):
        vector = transform_vector(row, transforms, stats)
        assert list(vector) == out.column_names
        assert _nulls_as_nan(vector) == pytest.approx(
            _nulls_as_nan(expected), rel=1e-12, nan_ok=True
        )


def test_user_transform_definition_round_trips_through_json() -> None:
    rebuilt = transform_from_json(json.loads(json.dumps(ClipHigh(q=12.5).to_json())))
    assert isinstance(rebuilt, ClipHigh) and rebuilt.q == 12.5
    assert ClipHigh(q=12.5).to_json()["class"] == f"{__name__}:ClipHigh"


@pytest.mark.parametrize("step", ["table", "vector"])
def test_a_failing_apply_names_the_transform_and_the_feature(step: str) -> None:
    transforms = {"amount": standard_scaler(), "delta": Broken()}
    table = _table(2, 20)
    stats = fit(transforms, table)
    with pytest.raises(DataError) as info:
        if step == "table":
            transform_table(table, transforms, stats)
        else:
            transform_vector(table.to_pylist()[0], transforms, stats)
    message = str(info.value)
    assert "'broken'" in message and "'delta'" in message and "cannot work today" in message
    assert info.value.obj == "broken" and info.value.column == "delta"
    assert isinstance(info.value.__cause__, ValueError)


def test_a_failing_fit_names_the_transform_and_the_feature() -> None:
    with pytest.raises(DataError, match=r"'broken_fit' of feature 'amount' failed to fit"):
        fit({"amount": BrokenFit()}, _table(3, 5))
