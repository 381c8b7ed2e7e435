"""API that users porting from Feast and Hopsworks reach for first: get-or-create of groups
and views (idempotent, refusing a changed definition, safe against a concurrent create) and
``select_except``."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.catalog.records import FEATURE_GROUP
from featurehouse.errors import SchemaError
from tests.workers.get_or_create import get_or_create

T0 = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
SCHEMA = pa.schema(
    [
        ("k", pa.int64()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64()),
        ("name", pa.string()),
    ]
)


def accounts(fs: fh.FeatureStore, **changes: object) -> fh.FeatureGroup:
    definition: dict[str, object] = {
        "primary_key": ["k"],
        "event_time": "ts",
        "online": True,
        "tags": {"team": "risk"},
        "ttl": timedelta(days=1),
        "schema": SCHEMA,
        "expectations": [fh.expect.between("amount", 0, None)],
        **changes,
    }
    return fs.get_or_create_feature_group("accounts", **definition)  # type: ignore[arg-type]


def test_get_or_create_feature_group_creates_once_then_gets(fs: fh.FeatureStore) -> None:
    created = accounts(fs)
    assert (created.name, created.version) == ("accounts", 1)
    created.insert([{"k": 1, "ts": T0, "amount": 1.5, "name": "é", "added": 7}])  # a new column
    again = accounts(fs, ttl=86_400.0, tags={"team": "risk"})  # the same, spelled otherwise
    assert again.version == 1 and "added" in again.schema.names
    assert [g.version for g in fs.list_feature_groups("accounts")] == [1]
    assert accounts(fs, version=1).version == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"event_time": "ts2", "schema": None}, "event_time: stored 'ts', given 'ts2'"),
        (
            {"ttl": timedelta(0)},
            "ttl: stored datetime.timedelta(days=1), given datetime.timedelta(0)",
        ),
        ({"online": False}, "online: stored True, given False"),
        ({"tags": {}}, "tags: stored {'team': 'risk'}, given {}"),
        ({"expectations": []}, "expectations: stored"),
        ({"on_invalid": "quarantine"}, "on_invalid: stored 'raise', given 'quarantine'"),
        (
            {"schema": SCHEMA.set(2, pa.field("amount", pa.string()))},
            "column 'amount': stored double, given string",
        ),
    ],
)
def test_get_or_create_feature_group_refuses_another_definition(
    fs: fh.FeatureStore, change: dict[str, object], named: str
) -> None:
    accounts(fs)
    before = fs._services.catalog.list(FEATURE_GROUP)
    with pytest.raises(SchemaError, match="exists with another definition") as raised:
        accounts(fs, **change)
    assert named in str(raised.value) and raised.value.obj == "accounts:1"
    assert fs._services.catalog.list(FEATURE_GROUP) == before  # nothing written


def test_get_or_create_feature_view_creates_once_then_gets(fs: fh.FeatureStore) -> None:
    group = accounts(fs)
    group.insert([{"k": 1, "ts": T0, "amount": 1.5, "name": ""}])
    query = group.select(["amount"])
    view = fs.get_or_create_feature_view("v", query=query, labels="name", description="d")
    again = fs.get_or_create_feature_view("v", query=query, labels=["name"], description="d")
    assert (view.version, again.version) == (1, 1)
    assert [v.version for v in fs.list_feature_views("v")] == [1]
    with pytest.raises(SchemaError, match=r"feature view v:1 exists.*description: stored"):
        fs.get_or_create_feature_view("v", query=query, labels=["name"], description="other")
    with pytest.raises(SchemaError, match=r"query: stored .*amount.*given .*name"):
        fs.get_or_create_feature_view(
            "v", query=group.select(["name"]), labels=["name"], description="d"
        )
    assert [v.version for v in fs.list_feature_views("v")] == [1]


def test_concurrent_get_or_create_gives_everyone_the_same_objects(home: Path) -> None:
    context = multiprocessing.get_context("spawn")  # deltalake panics in a forked child
    contenders = 4
    barrier, results = context.Barrier(contenders), context.Queue()
    processes = [
        context.Process(target=get_or_create, args=(str(home), barrier, results))
        for _ in range(contenders)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == [("ok", 1, 1)] * contenders
    with fh.connect(home) as fs:
        assert [g.version for g in fs.list_feature_groups("accounts")] == [1]
        assert [v.version for v in fs.list_feature_views("accounts_view")] == [1]


def test_select_except_selects_every_other_feature(fs: fh.FeatureStore) -> None:
    group = accounts(fs)
    group.insert([{"k": 1, "ts": T0, "amount": 1.5, "name": "x", "z": True}])
    assert group.select_except(["name"]) == group.select(["amount", "z"])
    assert group.select_except(["k", "ts", "amount"]) == group.select(["name", "z"])
    view = fs.create_feature_view("rest", query=group.select_except("z"))
    assert view.features == ["amount", "name"]
    with pytest.raises(SchemaError, match=r"\['nope'\].*features are \['amount', 'name', 'z'\]"):
        group.select_except(["amount", "nope"])
    empty = fs.create_feature_group("empty", primary_key=["k"], event_time="ts")
    with pytest.raises(SchemaError, match="empty:1 has no schema yet"):
        empty.select_except(["x"])


def test_semantics_that_differ_from_feast_are_as_the_readme_says(fs: fh.FeatureStore) -> None:
    at = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    group = fs.create_feature_group(
        "zero_ttl", primary_key=["k"], event_time="ts", online=True, ttl=timedelta(0)
    )
    group.insert([{"k": 1, "ts": at, "v": 1.0}])
    group.insert([{"k": 1, "ts": at, "v": 2.0}])  # same key and event time: the last write wins
    view = fs.create_feature_view("zero_ttl_view", query=group.select(["v"]))
    spine = pa.table(
        {"k": [1, 1], "ts": pa.array([at, at + timedelta(microseconds=1)], SCHEMA.field("ts").type)}
    )
    # ttl=0 is not Feast's "forever": only a row at exactly the spine's time counts
    assert view.training_data(spine=spine).to_arrow()["v"].to_pylist() == [2.0, None]
    assert group.get_online({"k": 1}) is None  # online, against now
    assert group.read().num_rows == 1
