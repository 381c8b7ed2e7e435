"""A project with a deployment to serve: an online group of cards, a view over it with a
fitted transform, a view with an on-demand feature, two Python-function models and a
deployment ``fraud`` of the first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.transforms.builtin import standard_scaler

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CARDS = 100


def total(rows: list[dict[str, Any]]) -> list[float]:
    """A Python-function model: the sum of a row's numeric features."""
    return [float(sum(v for v in row.values() if isinstance(v, int | float))) for row in rows]


def negative(rows: list[dict[str, Any]]) -> list[float]:
    return [-x for x in total(rows)]


@fh.on_demand
def limit_share(amount: float, limit: float) -> float:
    return amount / limit


def make_deployment(fs: fh.FeatureStore) -> dict[str, Any]:
    group = fs.create_feature_group("cards", primary_key=["cc_num"], event_time="ts", online=True)
    rng = np.random.default_rng(3)
    group.insert(
        pa.table(
            {
                "cc_num": np.arange(CARDS),
                "ts": pa.array([T0] * CARDS, pa.timestamp("us", tz="UTC")),
                "limit": rng.uniform(100, 1_000, CARDS),
                "age": rng.integers(18, 80, CARDS),
            }
        )
    )
    view = fs.create_feature_view(
        "card_view", query=group.select_all(), transforms={"limit": standard_scaler()}
    )
    td = view.create_training_dataset(start=T0, end=T0 + timedelta(days=1))
    fs.models.register("scorer", total, feature_view=view, training_dataset=td)
    fs.models.register("scorer", negative, feature_view=view, training_dataset=td)
    fs.create_feature_view("card_request_view", query=group.select_all(), on_demand=[limit_share])
    fs.deploy("fraud", model="scorer", version=1)
    return {"view": view, "td": td}


@pytest.fixture
def deployed(fs: fh.FeatureStore) -> dict[str, Any]:
    return make_deployment(fs)
