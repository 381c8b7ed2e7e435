"""A deployment to monitor: a group of users (numeric and categorical features), a view, a
training dataset, a Python-function model served as ``fraud``, and a way to write synthetic
prediction logs drawn from the training distribution or a shifted one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.serving.prediction_log import predictions_group

T0 = datetime(2026, 1, 1, tzinfo=UTC)
USERS = 2_000
COUNTRIES = ["de", "fr", "it", "es", "nl"]
SHARES = [0.4, 0.25, 0.15, 0.12, 0.08]


def total(rows: list[dict[str, Any]]) -> list[float]:
    """A Python-function model: the sum of a row's numeric features."""
    return [float(sum(v for v in row.values() if isinstance(v, int | float))) for row in rows]


def draw(rng: np.random.Generator, n: int, drift: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Feature values; the features named in ``drift`` come from a shifted distribution."""
    amount = rng.normal(50.0, 10.0, n) + (15.0 if "amount" in drift else 0.0)
    shares = [0.1, 0.1, 0.15, 0.25, 0.4] if "country" in drift else SHARES
    return {
        "amount": amount,
        "age": rng.integers(18, 80, n),
        "score": rng.uniform(0, 1, n),
        "country": rng.choice(COUNTRIES, n, p=shares),
        "device": rng.choice(["ios", "android", "web"], n, p=[0.3, 0.5, 0.2]),
    }


def make_monitored(fs: fh.FeatureStore) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    group = fs.create_feature_group("users", primary_key=["user_id"], event_time="ts", online=True)
    group.insert(
        pa.table(
            {
                "user_id": np.arange(USERS),
                "ts": pa.array([T0] * USERS, pa.timestamp("us", tz="UTC")),
                **draw(rng, USERS),
            }
        )
    )
    view = fs.create_feature_view("user_view", query=group.select_all())
    td = view.create_training_dataset(
        start=T0, end=T0 + timedelta(days=1), splits={"train": 0.8, "test": 0.2}
    )
    fs.models.register("scorer", total, feature_view=view, training_dataset=td)
    fs.deploy("fraud", model="scorer", version=1)
    return {"group": group, "view": view, "td": td}


def log_predictions(
    fs: fh.FeatureStore,
    n: int,
    seed: int,
    at: datetime,
    drift: frozenset[str] = frozenset(),
    spread: timedelta = timedelta(minutes=50),
    probability: bool = False,
) -> list[str]:
    """Write ``n`` synthetic logged predictions with times in ``[at, at + spread)``;
    ``probability`` logs a classifier's score (the model's sum squashed to [0, 1])."""
    rng = np.random.default_rng(seed)
    values = draw(rng, n, drift)
    rows = [{k: v[i].item() for k, v in values.items()} for i in range(n)]
    predictions = total(rows)
    if probability:
        predictions = [float(1 / (1 + np.exp(-(p - 100) / 10))) for p in predictions]
    ids = [uuid.UUID(int=int(x)).hex for x in rng.integers(0, 2**62, n)]
    offsets = np.sort(rng.uniform(0, spread.total_seconds(), n))
    group = predictions_group(fs, "fraud")
    group.insert(
        pa.Table.from_pylist(
            [
                {
                    "request_id": ids[i],
                    "ts": at + timedelta(seconds=float(offsets[i])),
                    "model": "scorer",
                    "model_version": 1,
                    "entity": json.dumps({"user_id": i}),
                    "features": json.dumps(rows[i]),
                    "transformed": json.dumps(rows[i]),
                    "prediction": predictions[i],
                    "prediction_json": json.dumps(predictions[i]),
                    "latency_ms": 1.0,
                }
                for i in range(n)
            ],
            schema=group.schema,
        )
    )
    return ids


@pytest.fixture
def monitored(fs: fh.FeatureStore) -> dict[str, Any]:
    return make_monitored(fs)
