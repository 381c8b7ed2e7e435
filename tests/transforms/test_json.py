"""Every built-in transform's fitted statistics are strict JSON, and its definition
(``to_json``) rebuilds, through ``transform_from_json``, a transform that behaves the same."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from featurehouse.errors import SchemaError
from featurehouse.transforms.base import transform_from_json
from featurehouse.transforms.builtin import (
    bucketize,
    label_encoder,
    log1p,
    min_max_scaler,
    one_hot_encoder,
    robust_scaler,
    standard_scaler,
)


def _sample(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(1.0, 1.2, n) - 0.9
    x[rng.random(n) < 0.1] = np.nan
    return x


def _categories(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array(["red", "green", "blue", "a b", ""], dtype=object), n)
    values[rng.random(n) < 0.1] = None
    return values


ALL = [
    (standard_scaler, _sample(10, 200)),
    (min_max_scaler, _sample(11, 200)),
    (robust_scaler, _sample(12, 200)),
    (log1p, _sample(13, 200)),
    (label_encoder, _categories(14, 200)),
    (one_hot_encoder, _categories(15, 200)),
    (lambda: bucketize([-1.0, 0.5, 2.0, 10.0]), _sample(16, 200)),
    (standard_scaler, np.full(4, np.nan)),
    (label_encoder, np.array([None, None], dtype=object)),
]


@pytest.mark.parametrize(("make", "train"), ALL)
def test_statistics_and_definition_round_trip_through_json(make: Any, train: np.ndarray) -> None:
    transform = make()
    stats = transform.fit(train)
    stored = json.loads(json.dumps(stats, allow_nan=False))  # strict JSON: no NaN or inf
    assert stored == stats
    rebuilt = transform_from_json(json.loads(json.dumps(transform.to_json(), allow_nan=False)))
    assert type(rebuilt) is type(transform) and rebuilt.params() == transform.params()
    assert rebuilt.name == transform.name and repr(rebuilt) == repr(transform)
    test = train[::-1]
    expected = transform.apply(test, stats)
    for ours, theirs in zip(rebuilt.apply(test, stored), expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert rebuilt.outputs("f", stored) == transform.outputs("f", stats)
    for value in test[:20].tolist():
        assert rebuilt.apply_one(value, stored) == transform.apply_one(value, stats)


def test_transform_from_json_refuses_a_class_it_cannot_import() -> None:
    with pytest.raises(SchemaError, match="importable") as info:
        transform_from_json({"name": "gone", "class": "__main__:Gone", "params": {}})
    assert info.value.obj == "gone"
