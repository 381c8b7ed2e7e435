"""Feature views: definitions, training data, splits, training datasets, batch data and
online vectors, and the clear errors bad input gets before any work is done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import AlreadyExistsError, DataError, NotFoundError, SchemaError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def groups(fs: fh.FeatureStore) -> dict[str, fh.FeatureGroup]:
    tx = fs.create_feature_group(
        "transactions", primary_key=["cc_num"], event_time="ts", online=True
    )
    profiles = fs.create_feature_group(
        "profiles", primary_key=["cc_num"], event_time="ts", online=True
    )
    merchants = fs.create_feature_group(
        "merchants", primary_key=["id"], event_time="ts", online=True
    )
    tx.insert(
        [
            {
                "cc_num": 1,
                "ts": at(1),
                "amount": 10.0,
                "category": "a",
                "merchant_id": 7,
                "is_fraud": 0,
            },
            {
                "cc_num": 1,
                "ts": at(5),
                "amount": 50.0,
                "category": "b",
                "merchant_id": 8,
                "is_fraud": 1,
            },
            {
                "cc_num": 2,
                "ts": at(2),
                "amount": 20.0,
                "category": "a",
                "merchant_id": 7,
                "is_fraud": 0,
            },
        ]
    )
    profiles.insert(
        [
            {"cc_num": 1, "ts": at(0), "age": 30, "credit_limit": 1000.0},
            {"cc_num": 2, "ts": at(3), "age": 40, "credit_limit": 2000.0},
        ]
    )
    merchants.insert(
        [
            {"id": 7, "ts": at(0), "risk": 0.1, "category": "food"},
            {"id": 8, "ts": at(0), "risk": 0.9, "category": "travel"},
        ]
    )
    return {"tx": tx, "profiles": profiles, "merchants": merchants}


@pytest.fixture
def fv(fs: fh.FeatureStore, groups: dict[str, fh.FeatureGroup]) -> fh.FeatureView:
    query = (
        groups["tx"]
        .select(["amount", "category"])
        .join(groups["profiles"].select(["age", "credit_limit"]), on="cc_num")
        .join(groups["merchants"].select_all(), left_on="merchant_id", right_on="id", prefix="m_")
    )
    return fs.create_feature_view("fraud", version=1, query=query, labels=["is_fraud"])


SPINE = pd.DataFrame(
    {"cc_num": [1, 1, 2, 3], "ts": [at(2), at(6), at(2), at(6)], "is_fraud": [0, 1, 0, 0]}
)


def test_definition_is_stored_with_its_features_spelled_out(
    fs: fh.FeatureStore, fv: fh.FeatureView, groups: dict[str, fh.FeatureGroup]
) -> None:
    assert fv.features == ["amount", "category", "age", "credit_limit", "m_risk", "m_category"]
    assert (fv.keys, fv.event_time, fv.labels) == (["cc_num"], "ts", ["is_fraud"])
    groups["merchants"].insert([{"id": 9, "ts": at(0), "risk": 0.5, "category": "x", "extra": 1}])
    again = fs.get_feature_view("fraud")
    assert again.features == fv.features  # a group that grows does not change the view
    assert [v.version for v in fs.list_feature_views()] == [1]


def test_training_data_is_point_in_time_correct(fv: fh.FeatureView) -> None:
    rows = fv.training_data(spine=SPINE).to_pylist()
    assert [r["cc_num"] for r in rows] == [1, 1, 2, 3]  # spine order, no row dropped
    assert rows[0] == {
        "cc_num": 1,
        "ts": at(2),
        "amount": 10.0,
        "category": "a",
        "age": 30,
        "credit_limit": 1000.0,
        "m_risk": 0.1,
        "m_category": "food",
        "is_fraud": 0,
    }
    assert (rows[1]["amount"], rows[1]["m_category"]) == (50.0, "travel")
    assert rows[2]["age"] is None  # the profile of card 2 starts at hour 3: no leakage
    assert all(rows[3][f] is None for f in fv.features)  # unknown card: nulls, row kept


def test_an_event_at_the_spine_time_is_seen(fv: fh.FeatureView) -> None:
    spine = pd.DataFrame({"cc_num": [1], "ts": [at(5)], "is_fraud": [1]})
    assert fv.training_data(spine=spine).to_pylist()[0]["amount"] == 50.0


def test_other_spine_columns_are_kept(fv: fh.FeatureView) -> None:
    spine = SPINE.assign(request_id=["a", "b", "c", "d"])
    result = fv.training_data(spine=spine)
    assert result.columns[-1] == "request_id"
    assert result.to_pandas()["request_id"].tolist() == ["a", "b", "c", "d"]


def test_training_data_without_spine_uses_the_first_group(
    fs: fh.FeatureStore, groups: dict[str, fh.FeatureGroup]
) -> None:
    query = (
        groups["tx"]
        .select(["amount", "is_fraud"])
        .join(groups["profiles"].select(["age"]), on="cc_num")
    )
    view = fs.create_feature_view("simple", query=query, labels=["is_fraud"])
    assert view.features == ["amount", "age"]
    rows = view.training_data(start=at(0), end=at(5)).to_pandas().sort_values(["cc_num", "ts"])
    assert rows["amount"].tolist() == [10.0, 20.0]
    assert rows["is_fraud"].tolist() == [0, 0]
    assert rows["age"].isna().tolist() == [False, True]


def test_ttl_hides_rows_that_are_too_old(fs: fh.FeatureStore) -> None:
    clicks = fs.create_feature_group(
        "clicks", primary_key=["user"], event_time="ts", ttl=timedelta(hours=2)
    )
    base = fs.create_feature_group("users", primary_key=["user"], event_time="ts")
    base.insert([{"user": 1, "ts": at(0), "plan": "free"}])
    clicks.insert([{"user": 1, "ts": at(1), "n": 5}])
    view = fs.create_feature_view(
        "engagement", query=base.select(["plan"]).join(clicks.select(["n"]), on="user")
    )
    spine = pd.DataFrame({"user": [1, 1, 1], "ts": [at(2), at(3), at(4)]})
    assert view.training_data(spine=spine).to_pandas()["n"].tolist()[:2] == [5, 5]
    assert pd.isna(view.training_data(spine=spine).to_pandas()["n"].tolist()[2])


def test_online_vectors_follow_the_view_order_and_match_offline(fv: fh.FeatureView) -> None:
    vector = fv.get_feature_vector({"cc_num": 1})
    assert list(vector) == fv.features
    assert vector == {
        "amount": 50.0,
        "category": "b",
        "age": 30,
        "credit_limit": 1000.0,
        "m_risk": 0.9,
        "m_category": "travel",
    }
    later = datetime.now(UTC)
    offline = fv.training_data(
        spine=pd.DataFrame({"cc_num": [1, 2, 3], "ts": [later] * 3, "is_fraud": [0] * 3})
    ).to_arrow()
    online = fv.get_feature_vectors(pd.DataFrame({"cc_num": [1, 2, 3]})).to_arrow()
    assert online.column_names == ["cc_num", *fv.features]
    assert online.to_pylist() == offline.select(online.column_names).to_pylist()


def test_many_vectors_are_the_single_vectors_by_position(fv: fh.FeatureView) -> None:
    """Read column by column: unknown entities (whose later group's key is then null too)
    give nulls, repeated ones their vector again, in the order asked, in the view's types."""
    entities = [{"cc_num": k} for k in [3, 1, 2, 1, 4]]
    table = fv.get_feature_vectors(entities).to_arrow()
    assert table.schema.types == [pa.int64(), *(fv.feature_types[f] for f in fv.features)]
    assert table.to_pylist() == [{**e, **fv.get_feature_vector(e)} for e in entities]
    assert table.column("m_risk").to_pylist() == [None, 0.9, 0.1, 0.9, None]
    vectors, found = fv.get_feature_vector_list_found(entities)
    assert found == [False, True, True, True, False]
    assert vectors == [fv.get_feature_vector(e) for e in entities]
    empty = fv.get_feature_vectors([]).to_arrow()
    assert (empty.num_rows, empty.column_names) == (0, ["cc_num", *fv.features])


def test_online_ttl_hides_rows_that_are_too_old(fs: fh.FeatureStore) -> None:
    now = datetime.now(UTC)
    users = fs.create_feature_group(
        "users", primary_key=["user"], event_time="ts", ttl=timedelta(hours=1), online=True
    )
    clicks = fs.create_feature_group(
        "clicks", primary_key=["user"], event_time="ts", ttl=timedelta(hours=1), online=True
    )
    users.insert(
        [
            {"user": u, "ts": now - timedelta(hours=h), "plan": "p"}
            for u, h in [(1, 0), (2, 3), (3, 0)]
        ]
    )
    clicks.insert(
        [{"user": u, "ts": now - timedelta(hours=h), "n": u} for u, h in [(1, 3), (2, 0), (3, 0)]]
    )
    view = fs.create_feature_view(
        "recent", query=users.select(["plan"]).join(clicks.select(["n"]), on="user")
    )
    entities = [{"user": u} for u in [1, 2, 3]]
    expected = [
        {"user": 1, "plan": "p", "n": None},
        {"user": 2, "plan": None, "n": 2},
        {"user": 3, "plan": "p", "n": 3},
    ]
    assert view.get_feature_vectors(entities).to_pylist() == expected
    assert [{**e, **view.get_feature_vector(e)} for e in entities] == expected
    assert view.get_feature_vector_list_found(entities)[1] == [True, False, True]


def test_batch_data_is_the_latest_per_entity_as_of_end(fv: fh.FeatureView) -> None:
    rows = fv.batch_data(start=at(0), end=at(4)).to_pandas().sort_values("cc_num")
    assert rows["cc_num"].tolist() == [1, 2]
    assert rows["amount"].tolist() == [10.0, 20.0]
    assert rows["age"].tolist() == [30, 40]
    assert set(rows["ts"]) == {at(4)}
    assert fv.batch_data(start=at(4), end=at(6)).to_pandas()["cc_num"].tolist() == [1]


def test_train_test_split_by_time_and_at_random(fv: fh.FeatureView) -> None:
    spine = pd.DataFrame(
        {"cc_num": [1] * 10, "ts": [at(h) for h in range(10)], "is_fraud": [0] * 10}
    )
    train, test = fv.train_test_split(0.3, spine=spine)
    assert (train.num_rows, test.num_rows) == (7, 3)
    assert max(train.to_pandas()["ts"]) < min(test.to_pandas()["ts"])
    first = fv.train_test_split(0.3, spine=spine, by="random", seed=3)
    again = fv.train_test_split(0.3, spine=spine, by="random", seed=3)
    assert first[1].to_pylist() == again[1].to_pylist()
    assert first[0].num_rows + first[1].num_rows == 10


def test_training_datasets_are_immutable_and_record_versions(
    fv: fh.FeatureView, groups: dict[str, fh.FeatureGroup]
) -> None:
    td = fv.create_training_dataset(
        spine=SPINE, splits={"train": (at(0), at(3)), "test": (at(3), at(9))}, description="first"
    )
    assert td.version == 1 and td.rows == {"train": 2, "test": 2}
    assert td.group_versions == {"transactions:1": 1, "profiles:1": 1, "merchants:1": 1}
    before = td.read().to_pylist()
    groups["tx"].insert(
        [
            {
                "cc_num": 1,
                "ts": at(2),
                "amount": 999.0,
                "category": "z",
                "merchant_id": 7,
                "is_fraud": 0,
            }
        ]
    )
    groups["profiles"].delete(keys=[{"cc_num": 1}])
    assert fv.get_training_dataset(1).read().to_pylist() == before
    assert fv.training_data(spine=SPINE).to_pylist() != before  # live data did change
    second = fv.create_training_dataset(spine=SPINE, splits={"train": 0.5, "test": 0.5}, seed=1)
    assert second.version == 2 and sum(second.rows.values()) == 4
    assert [d.version for d in fv.list_training_datasets()] == [1, 2]
    assert fv.get_training_dataset().version == 2


# -- bad input: a clear error before any work ------------------------------------------


def test_unknown_feature(fs: fh.FeatureStore, groups: dict[str, fh.FeatureGroup]) -> None:
    with pytest.raises(SchemaError, match="no feature") as info:
        fs.create_feature_view("v", query=groups["tx"].select(["amount", "nope"]))
    assert info.value.column == "nope"
    assert fs.list_feature_views() == []


def test_colliding_names_name_both_groups(
    fs: fh.FeatureStore, groups: dict[str, fh.FeatureGroup]
) -> None:
    query = (
        groups["tx"]
        .select(["category"])
        .join(groups["merchants"].select(["category"]), left_on="merchant_id", right_on="id")
    )
    with pytest.raises(SchemaError) as info:
        fs.create_feature_view("v", query=query)
    assert "transactions:1" in str(info.value) and "merchants:1" in str(info.value)


@pytest.mark.parametrize(
    ("left_on", "right_on", "match"),
    [
        ("nope", "id", "neither a key"),
        ("category", "id", "does not match the type"),
        ("merchant_id", "risk", "primary key"),
    ],
)
def test_bad_joins(
    fs: fh.FeatureStore, groups: dict[str, fh.FeatureGroup], left_on: str, right_on: str, match: str
) -> None:
    query = (
        groups["tx"]
        .select(["amount", "category"])
        .join(groups["merchants"].select(["risk"]), left_on=left_on, right_on=right_on)
    )
    with pytest.raises(SchemaError, match=match):
        fs.create_feature_view("v", query=query)


def test_join_needs_columns(groups: dict[str, fh.FeatureGroup]) -> None:
    with pytest.raises(SchemaError, match="on="):
        groups["tx"].select(["amount"]).join(groups["profiles"].select(["age"]))


@pytest.mark.parametrize(
    ("spine", "error", "column"),
    [
        (pd.DataFrame({"ts": [at(1)], "is_fraud": [0]}), SchemaError, "cc_num"),
        (pd.DataFrame({"cc_num": [1], "is_fraud": [0]}), SchemaError, "ts"),
        (pd.DataFrame({"cc_num": [1], "ts": [at(1)]}), SchemaError, "is_fraud"),
        (pd.DataFrame({"cc_num": ["one"], "ts": [at(1)], "is_fraud": [0]}), SchemaError, "cc_num"),
        (pd.DataFrame({"cc_num": [1], "ts": ["yesterday"], "is_fraud": [0]}), SchemaError, "ts"),
        (
            pd.DataFrame({"cc_num": [1], "ts": [at(1)], "is_fraud": [0], "amount": [1.0]}),
            SchemaError,
            "amount",
        ),
        (
            pa.table(
                {
                    "cc_num": [1],
                    "ts": pa.array([None], pa.timestamp("us", tz="UTC")),
                    "is_fraud": [0],
                }
            ),
            DataError,
            "ts",
        ),
    ],
)
def test_bad_spines(fv: fh.FeatureView, spine: Any, error: type[Exception], column: str) -> None:
    with pytest.raises(error) as info:
        fv.training_data(spine=spine)
    assert getattr(info.value, "column", None) == column


def test_naive_spine_times_are_utc(fv: fh.FeatureView) -> None:
    spine = pd.DataFrame({"cc_num": [1], "ts": [at(2).replace(tzinfo=None)], "is_fraud": [0]})
    assert fv.training_data(spine=spine).to_pylist()[0]["amount"] == 10.0


def test_bad_calls(fs: fh.FeatureStore, fv: fh.FeatureView) -> None:
    with pytest.raises(NotFoundError):
        fs.get_feature_view("nope")
    with pytest.raises(AlreadyExistsError):
        fs.create_feature_view("fraud", version=1, query=fv.query)
    with pytest.raises(DataError, match="exactly the fields"):
        fv.get_feature_vector({"card": 1})
    with pytest.raises(DataError, match="test_size"):
        fv.train_test_split(1.5, spine=SPINE)
    with pytest.raises(DataError, match="add up to 1"):
        fv.create_training_dataset(spine=SPINE, splits={"train": 0.5, "test": 0.2})
    with pytest.raises(NotFoundError, match="no split"):
        fv.create_training_dataset(spine=SPINE).read("validation")
    with pytest.raises(SchemaError, match="spine"):
        fv.training_data(start=at(0))  # is_fraud is not a feature: a spine must bring it


def test_vectors_need_online_groups(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("offline_only", primary_key=["id"], event_time="ts")
    group.insert([{"id": 1, "ts": at(0), "x": 1.0}])
    view = fs.create_feature_view("v", query=group.select_all())
    with pytest.raises(DataError, match="not online"):
        view.get_feature_vector({"id": 1})


@pytest.mark.parametrize("by", ["time", "random"])
def test_train_test_split_xy_gives_transformed_features_and_labels(
    fs: fh.FeatureStore, by: str
) -> None:
    import numpy as np

    from featurehouse.transforms.builtin import one_hot_encoder, standard_scaler

    rng = np.random.default_rng(11)
    far = datetime(1901, 3, 4, 5, 6, 7, 123457, tzinfo=UTC)  # microseconds, far from today
    n = 40
    times = [
        far + timedelta(days=int(d), microseconds=int(u))
        for d, u in enumerate(rng.integers(0, 999_999, n))
    ]
    group = fs.create_feature_group("accounts", primary_key=["k"], event_time="ts")
    group.insert(
        pa.table(
            {
                "k": pa.array(range(n), pa.int64()),
                "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
                "x": rng.normal(0, 1e6, n),
                "tier": rng.choice(["gold", "", "ünïcode"], n),
            }
        )
    )
    view = fs.create_feature_view(
        "accounts_view",
        query=group.select(["x", "tier"]),
        labels=["y"],
        transforms={"x": standard_scaler(), "tier": one_hot_encoder()},
    )
    spine = pa.table(
        {
            "k": pa.array(range(n), pa.int64()),
            "ts": pa.array(
                [t + timedelta(microseconds=1) for t in times], pa.timestamp("us", tz="UTC")
            ),
            "y": rng.integers(0, 2, n),
        }
    )
    train, test = view.train_test_split(0.25, spine, by=by, seed=5)  # the old API still works
    assert {"k", "ts", "x", "tier", "y"} <= set(train.columns)
    x_train, x_test, y_train, y_test = view.train_test_split_xy(0.25, spine, by=by, seed=5)
    assert x_train.columns == x_test.columns
    assert x_train.columns[0] == "x" and all(c.startswith("tier") for c in x_train.columns[1:])
    assert not {"k", "ts", "y"} & set(x_train.columns)
    assert y_train.columns == y_test.columns == ["y"]
    assert y_train.to_arrow()["y"].to_pylist() == train.to_arrow()["y"].to_pylist()
    assert y_test.to_arrow()["y"].to_pylist() == test.to_arrow()["y"].to_pylist()
    # fitted on the train split only, and the same statistics applied to the test split
    raw_train = np.array(train.to_arrow()["x"].to_pylist())
    raw_test = np.array(test.to_arrow()["x"].to_pylist())
    mean, std = raw_train.mean(), raw_train.std()
    scaled_train = np.array(x_train.to_arrow()["x"].to_pylist())
    scaled_test = np.array(x_test.to_arrow()["x"].to_pylist())
    assert scaled_train == pytest.approx((raw_train - mean) / std)
    assert scaled_test == pytest.approx((raw_test - mean) / std)
    assert (x_train.num_rows, x_test.num_rows) == (30, 10)


def test_train_test_split_xy_needs_labels(fv: fh.FeatureView, fs: fh.FeatureStore) -> None:
    unlabelled = fs.create_feature_view(
        "plain", query=fs.get_feature_group("profiles").select(["age"])
    )
    with pytest.raises(DataError, match=r"plain:1.*no labels"):
        unlabelled.train_test_split_xy(0.5, spine=SPINE)
