"""On-demand features and model-dependent transforms on a feature view: the same numbers
offline (training, test, batch) and online, with the statistics of one training dataset."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import DataError
from featurehouse.transforms.base import Stats, Transform
from featurehouse.transforms.builtin import (
    label_encoder,
    log1p,
    min_max_scaler,
    one_hot_encoder,
    standard_scaler,
)
from featurehouse.transforms.on_demand import on_demand

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENTITIES = 2_000


@on_demand
def amount_vs_limit(amount: float, credit_limit: float) -> float:
    """A request parameter (amount) against a stored feature."""
    return amount / credit_limit


@on_demand
def hour_of_day(ts: datetime) -> int:
    return ts.hour if isinstance(ts, datetime) else (ts.astype("datetime64[h]").astype(int) % 24)


@on_demand(vectorized=False)
def is_big_spender(amount_vs_limit: float) -> bool:
    return amount_vs_limit > 0.5


class Exploding(Transform):
    name = "exploding"

    def fit(self, values: Any) -> Stats:
        raise RuntimeError("boom")

    def apply(self, values: Any, stats: Stats) -> list[Any]:
        return [values]


@pytest.fixture
def view(fs: fh.FeatureStore) -> fh.FeatureView:
    rng = np.random.default_rng(7)
    ids = np.arange(ENTITIES)
    profiles = fs.create_feature_group(
        "profiles", primary_key=["cc_num"], event_time="ts", online=True
    )
    profiles.insert(
        pa.table(
            {
                "cc_num": ids,
                "ts": pa.array([T0] * ENTITIES, pa.timestamp("us", tz="UTC")),
                "credit_limit": rng.uniform(500, 5_000, ENTITIES).round(2),
                "age": rng.integers(18, 90, ENTITIES),
                "tier": rng.choice(["gold", "silver", "basic"], ENTITIES),
                "spend": rng.gamma(2.0, 100.0, ENTITIES),
            }
        )
    )
    return fs.create_feature_view(
        "scoring",
        query=profiles.select(["credit_limit", "age", "tier", "spend"]),
        labels=["is_fraud"],
        on_demand=[amount_vs_limit, hour_of_day, is_big_spender],
        transforms={
            "credit_limit": standard_scaler(),
            "age": min_max_scaler(),
            "tier": one_hot_encoder(),
            "spend": log1p(),
            "amount_vs_limit": standard_scaler(),
        },
    )


def spine(count: int, when: datetime, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "cc_num": rng.integers(0, ENTITIES, count),
            "ts": pa.array([when] * count, pa.timestamp("us", tz="UTC")),
            "amount": rng.uniform(1, 3_000, count).round(2),
            "is_fraud": rng.integers(0, 2, count),
        }
    )


def test_on_demand_features_offline_and_online(view: fh.FeatureView) -> None:
    assert view.features[-3:] == ["amount_vs_limit", "hour_of_day", "is_big_spender"]
    assert view.request_parameters == ["amount"]
    rows = view.training_data(spine=spine(5, T0 + timedelta(hours=13))).to_pylist()
    for row in rows:
        assert row["amount_vs_limit"] == pytest.approx(row["amount"] / row["credit_limit"])
        assert row["hour_of_day"] == 13
        assert row["is_big_spender"] == (row["amount_vs_limit"] > 0.5)
    before = datetime.now(UTC)
    vector = view.get_feature_vector({"cc_num": 3}, request={"amount": 100.0})
    after = datetime.now(UTC)
    assert vector["amount_vs_limit"] == pytest.approx(100.0 / vector["credit_limit"])
    assert vector["hour_of_day"] in {before.hour, after.hour}  # online, the request time is now


@pytest.mark.parametrize(
    ("request_", "column"),
    [({}, "amount"), ({"amount": "lots"}, "amount"), ({"amount": 1.0, "amout": 2.0}, "amout")],
)
def test_bad_request_parameters_are_named(
    view: fh.FeatureView, request_: dict[str, Any], column: str
) -> None:
    with pytest.raises(DataError) as info:
        view.get_feature_vector({"cc_num": 3}, request=request_)
    assert info.value.column == column and column in str(info.value)


def test_a_spine_must_bring_the_request_parameters(view: fh.FeatureView) -> None:
    with pytest.raises(fh.FeaturehouseError, match="amount"):
        view.training_data(spine=spine(3, T0).drop_columns(["amount"]))


def test_statistics_are_fitted_on_the_train_split_only(view: fh.FeatureView) -> None:
    td = view.create_training_dataset(
        spine=spine(1_000, T0 + timedelta(hours=1)), splits={"train": 0.7, "test": 0.3}, seed=2
    )
    train = td.read("train").to_pandas()
    assert td.statistics["credit_limit"]["center"] == pytest.approx(train["credit_limit"].mean())
    assert td.statistics["tier"]["categories"] == ["basic", "gold", "silver"]
    test = td.read("test", transformed=True).to_pandas()
    raw = td.read("test").to_pandas()
    stats = td.statistics["credit_limit"]
    assert np.allclose(
        test["credit_limit"], (raw["credit_limit"] - stats["center"]) / stats["scale"]
    )
    assert {"tier_basic", "tier_gold", "tier_silver"} <= set(
        test.columns
    ) and "tier" not in test.columns
    assert np.allclose(test["spend"], np.log1p(raw["spend"]))


def test_transformed_vectors_need_an_explicit_binding(
    view: fh.FeatureView, fs: fh.FeatureStore
) -> None:
    with pytest.raises(DataError, match="bind"):
        view.get_feature_vector({"cc_num": 1}, request={"amount": 1.0}, transformed=True)
    first = view.create_training_dataset(
        spine=spine(500, T0 + timedelta(hours=1)), splits={"train": 0.8, "test": 0.2}
    )
    second = view.create_training_dataset(
        spine=spine(500, T0 + timedelta(hours=1), seed=9), splits={"train": 0.8, "test": 0.2}
    )
    view.bind(first)
    assert fs.get_feature_view("scoring").serving_dataset == first.version
    one = view.get_feature_vector({"cc_num": 1}, request={"amount": 10.0}, transformed=True)
    view.bind(second.version)
    two = view.get_feature_vector({"cc_num": 1}, request={"amount": 10.0}, transformed=True)
    assert one["credit_limit"] != two["credit_limit"]  # other statistics, same raw value


def test_many_vectors_are_the_single_vectors_with_their_requests(view: fh.FeatureView) -> None:
    """Read column by column, the on-demand features take each entity's own request; an
    unknown entity computes them from nulls."""
    entities = [{"cc_num": k} for k in [3, ENTITIES + 1, 1, 3]]
    requests = [{"amount": a} for a in [100.0, 200.0, 3_000.0, 400.0]]
    table = view.get_feature_vectors(entities, request=requests).to_arrow()
    assert table.schema.types == [pa.int64(), *(view.feature_types[f] for f in view.features)]
    for entity, request, row in zip(entities, requests, table.to_pylist(), strict=True):
        one = view.get_feature_vector(entity, request=request)
        del one["hour_of_day"], row["hour_of_day"]  # "now" may turn an hour between the calls
        assert row == {**entity, **one}
    rows = table.to_pylist()
    assert rows[0]["amount_vs_limit"] != rows[3]["amount_vs_limit"]  # each its own request
    assert rows[1]["credit_limit"] is None and rows[1]["amount_vs_limit"] is None


def test_online_and_offline_agree_after_every_transformation(view: fh.FeatureView) -> None:
    """The skew test: a few thousand entities, served online and computed offline."""
    td = view.create_training_dataset(
        spine=spine(1_500, T0 + timedelta(hours=1)), splits={"train": 0.8, "test": 0.2}
    )
    view.bind(td)
    later = datetime.now(UTC)
    rows = spine(2_000, later, seed=5)
    # hour_of_day depends on the request time: offline uses the spine time, online "now"
    offline = view.training_data(spine=rows).to_arrow().drop_columns(["is_fraud", "amount"])
    from featurehouse.transforms.apply import transform_table

    offline = transform_table(offline, view.transforms, td.statistics).to_pylist()
    online = view.get_feature_vectors(
        [{"cc_num": k} for k in rows.column("cc_num").to_pylist()],
        request=[{"amount": a} for a in rows.column("amount").to_pylist()],
        transformed=True,
    ).to_pylist()
    assert len(online) == len(offline) == 2_000
    for served, computed in zip(online, offline, strict=True):
        for name, value in served.items():
            if name == "hour_of_day":
                continue
            expected = computed[name]
            if isinstance(value, float):
                assert math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12), name
            else:
                assert value == expected, name


def test_batch_data_is_transformed_with_the_bound_statistics(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("plain", primary_key=["id"], event_time="ts", online=True)
    group.insert([{"id": i, "ts": T0, "x": float(i), "c": "ab"[i % 2]} for i in range(10)])
    view = fs.create_feature_view(
        "plain_view",
        query=group.select_all(),
        transforms={"x": standard_scaler(), "c": label_encoder()},
    )
    view.bind(view.create_training_dataset(start=T0, end=T0 + timedelta(days=1)))
    batch = view.batch_data(start=T0, end=T0 + timedelta(hours=1), transformed=True).to_pandas()
    assert batch["x"].mean() == pytest.approx(0.0) and sorted(set(batch["c"])) == [0, 1]
    vector = view.get_feature_vector({"id": 3}, transformed=True)
    assert vector["x"] == pytest.approx(batch.set_index("id").loc[3, "x"])


def test_a_failing_user_transform_is_named_and_writes_nothing(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("g", primary_key=["id"], event_time="ts")
    group.insert([{"id": 1, "ts": T0, "x": 1.0}])
    view = fs.create_feature_view("boom", query=group.select_all(), transforms={"x": Exploding()})
    with pytest.raises(DataError) as info:
        view.create_training_dataset(start=T0, end=T0 + timedelta(days=1))
    assert "exploding" in str(info.value) and "'x'" in str(info.value)
    assert view.list_training_datasets() == []
    assert fs.get_feature_view("boom").transforms["x"].name == "exploding"  # stored and reloaded
