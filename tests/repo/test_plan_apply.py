"""Plan and apply on a real project: created, changed in place, breaking, removed, refused
removals, and an apply of an empty plan that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import ConflictError, DataError, SchemaError
from tests.repo.conftest import RepoDir

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = ("feature_group", "feature_view", "deployment", "training_dataset", "repo_state")


def catalog_state(fs: fh.FeatureStore) -> list[tuple[Any, ...]]:
    """Every catalog entry with its revision: equal snapshots mean nothing was written."""
    catalog = fs._services.catalog
    return [(e.kind, e.name, e.version, e.revision, e.body) for k in KINDS for e in catalog.list(k)]


def offline_tables(fs: fh.FeatureStore) -> list[str]:
    return sorted(p.name for p in Path(fs.settings.offline).iterdir())


def actions(plan: Any) -> list[tuple[str, str, str]]:
    return [(c.action, c.kind, c.label) for c in plan.changes]


def rows(n: int, *, start: datetime = T0) -> pa.Table:
    return pa.table(
        {
            "cc_num": pa.array(range(n), pa.int64()),
            "ts": pa.array(
                [start + timedelta(minutes=i) for i in range(n)], pa.timestamp("us", tz="UTC")
            ),
            "amount": [float(i) for i in range(n)],
            "category": ["a"] * n,
        }
    )


def test_create_then_plan_is_empty_and_apply_changes_nothing(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write(tx_ttl="timedelta(hours=2)")
    plan = repo.plan()
    assert actions(plan) == [
        ("create", "feature_group", "profiles:1"),
        ("create", "feature_group", "transactions:1"),
        ("create", "feature_view", "fraud:1"),
    ]
    assert catalog_state(fs) == []  # planning writes nothing
    done = repo.apply()
    assert done.created == (
        "feature group profiles:1",
        "feature group transactions:1",
        "feature view fraud:1",
    )
    tx = fs.get_feature_group("transactions", 1)
    assert tx.schema is not None and tx.schema.names == ["cc_num", "ts", "amount", "category"]
    assert tx.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert (tx.description, tx.tags, tx.online) == ("card transactions", {"team": "fraud"}, False)
    assert tx._spec.ttl == timedelta(hours=2)
    view = fs.get_feature_view("fraud", 1)
    assert (view.features, view.labels) == (["amount", "category", "age"], ["is_fraud"])

    before, tables = catalog_state(fs), offline_tables(fs)
    again = repo.plan()
    assert again.empty and len(again.unchanged) == 3
    assert repo.apply().created == ()
    assert catalog_state(fs) == before and offline_tables(fs) == tables


def test_in_place_changes_keep_data_and_turn_online_on(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    tx = fs.get_feature_group("transactions", 1)
    tx.insert(rows(5))
    schema = {**DEFAULT_SCHEMA, "merchant": "string"}
    repo.write(
        tx_schema=schema,
        tx_online=True,
        tx_description="all card transactions",
        tx_tags={"team": "risk"},
        view_description="new words",
    )
    plan = repo.plan()
    assert actions(plan) == [
        ("change", "feature_group", "transactions:1"),
        ("change", "feature_view", "fraud:1"),
    ]
    details = "\n".join(plan.changes[0].details)
    for text in ("online: False -> True", "tags:", "add nullable column merchant string"):
        assert text in details
    repo.apply()
    tx = fs.get_feature_group("transactions", 1)
    assert tx.schema is not None and tx.schema.names[-1] == "merchant"
    assert (tx.online, tx.description, tx.tags) == (True, "all card transactions", {"team": "risk"})
    assert fs.get_feature_view("fraud", 1).description == "new words"
    stored = tx.read().to_arrow().sort_by("cc_num")
    assert stored.column("amount").to_pylist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert stored.column("merchant").null_count == 5  # the new column, null for old rows
    # The rows written while offline are online now, and later inserts reach online too.
    assert tx.get_online({"cc_num": 3})["amount"] == 3.0  # type: ignore[index]
    later = rows(2, start=T0 + timedelta(days=1)).append_column("merchant", pa.array(["m", "n"]))
    tx.insert(later)
    assert tx.get_online({"cc_num": 1})["merchant"] == "n"  # type: ignore[index]
    assert repo.plan().empty

    repo.write(tx_schema=schema, tx_online=False)
    repo.apply()
    tx = fs.get_feature_group("transactions", 1)
    assert tx.online is False
    assert fs._services.online.read(tx._spec.online_table, [(1,)]) == [None]  # rows gone


DEFAULT_SCHEMA = {"cc_num": "int64", "ts": "timestamp", "amount": "float64", "category": "string"}


@pytest.mark.parametrize(
    ("values", "detail", "column"),
    [
        (
            {"tx_schema": {**DEFAULT_SCHEMA, "amount": "string"}},
            "column 'amount' retyped double -> string",
            "amount",
        ),
        (
            {
                "tx_schema": {k: v for k, v in DEFAULT_SCHEMA.items() if k != "category"},
                "view_features": ["amount"],
            },
            "column 'category' dropped",
            "category",
        ),
        ({"tx_ttl": "timedelta(days=1)"}, "ttl None -> 1 day, 0:00:00", None),
        ({"view_features": ["amount"]}, "query: transactions:1[amount, category]", None),
    ],
)
def test_breaking_changes_are_refused_and_nothing_is_written(
    repo: RepoDir, fs: fh.FeatureStore, values: dict[str, Any], detail: str, column: str | None
) -> None:
    repo.write()
    repo.apply()
    before, tables = catalog_state(fs), offline_tables(fs)
    # An addition in the same repo must not be applied either: apply is all or nothing.
    extra = 'more = fh.repo.FeatureGroup(name="more", primary_key=["k"], event_time="ts", schema={"k": "int64", "ts": "timestamp"})'
    repo.write(extra=extra, **values)
    plan = repo.plan()
    breaking = plan.of("breaking")
    assert any(detail in d for d in breaking[0].details), breaking
    with pytest.raises(SchemaError) as err:
        repo.apply()
    assert "version=2" in str(err.value) and err.value.column == column
    assert err.value.expected == "version=2"
    assert catalog_state(fs) == before and offline_tables(fs) == tables


def test_a_new_version_is_created_and_the_old_one_removed_only_with_prune(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write()
    repo.apply()
    fs.get_feature_group("transactions", 1).insert(rows(3))
    repo.write(tx_version=2, tx_schema={**DEFAULT_SCHEMA, "amount": "string"}, view_version=2)
    plan = repo.plan()
    assert actions(plan) == [
        ("create", "feature_group", "transactions:2"),
        ("create", "feature_view", "fraud:2"),
        ("remove", "feature_group", "transactions:1"),
        ("remove", "feature_view", "fraud:1"),
    ]
    done = repo.apply()
    assert done.removed == () and set(done.kept) == {
        "feature group transactions:1",
        "feature view fraud:1",
    }
    assert [g.version for g in fs.list_feature_groups("transactions")] == [1, 2]
    assert actions(repo.plan())[0][0] == "remove"  # still proposed until pruned
    done = repo.apply(prune=True)
    assert done.removed == ("feature view fraud:1", "feature group transactions:1")
    assert [g.version for g in fs.list_feature_groups("transactions")] == [2]
    assert [v.version for v in fs.list_feature_views("fraud")] == [2]
    assert "transactions_v1" not in offline_tables(fs)
    assert repo.plan().empty


def total(rows: list[dict[str, Any]]) -> list[float]:
    return [1.0 for _ in rows]


def test_prune_refuses_to_remove_what_a_deployment_serves(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write()
    repo.apply()
    fs.models.register("scorer", total, feature_view=fs.get_feature_view("fraud", 1))
    fs.deploy("fraud_api", model="scorer", version=1)
    repo.write(view=False)
    before = catalog_state(fs)
    with pytest.raises(ConflictError) as err:
        repo.apply(prune=True)
    assert "deployment 'fraud_api' serves it" in str(err.value) and err.value.obj == "fraud:1"
    assert catalog_state(fs) == before
    # Without prune the view is only kept.
    assert repo.apply().kept == ("feature view fraud:1",)


def test_prune_refuses_a_group_a_remaining_view_reads(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    fs.create_feature_view("by_hand", query=fs.get_feature_group("profiles", 1).select_all())
    repo.write(view=False, tx_version=2)  # profiles stays; transactions:1 and fraud:1 go
    repo.apply(prune=True)
    assert [v.name for v in fs.list_feature_views()] == ["by_hand"]  # made from code: untouched
    text = "import featurehouse as fh\n"  # an empty repo: everything it made is to be removed
    (repo.path / "features.py").write_text(text)
    plan = repo.plan()
    assert {c.label for c in plan.of("remove")} == {"profiles:1", "transactions:2"}
    assert ("feature_view", "by_hand", 1) in plan.unmanaged
    with pytest.raises(ConflictError, match="feature view by_hand:1 reads it"):
        repo.apply(prune=True)
    assert len(fs.list_feature_groups()) == 2


def test_declared_deployments_are_created_and_changed(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    view = fs.get_feature_view("fraud", 1)
    for _ in range(2):
        fs.models.register("scorer", total, feature_view=view)
    repo.write(extra='serving = fh.repo.Deployment(name="fraud_api", model="scorer", version=1)\n')
    assert actions(repo.plan()) == [("create", "deployment", "fraud_api")]
    repo.apply()
    assert [(s.model, s.version) for s in fs.deployments.get("fraud_api").models] == [("scorer", 1)]
    assert repo.plan().empty
    repo.write(
        extra='serving = fh.repo.Deployment(name="fraud_api", model="scorer", split={1: 0.5, 2: 0.5})\n'
    )
    plan = repo.plan()
    assert plan.changes[0].details == ("scorer:1 -> scorer:1 50%, scorer:2 50%",)
    repo.apply()
    current = fs.deployments.get("fraud_api")
    assert (current.revision, [s.weight for s in current.models]) == (2, [0.5, 0.5])
    both = 'serving = fh.repo.Deployment(name="fraud_api", model="scorer", version=2, split={2: 1.0})\n'
    repo.write(extra=both)
    with pytest.raises(DataError, match="version= or split=, not both"):
        repo.plan()
    # Leaving the repo stops managing it; apply never deletes a serving deployment.
    repo.write()
    assert actions(repo.plan()) == [("remove", "deployment", "fraud_api")]
    repo.apply(prune=True)
    assert fs.deployments.get("fraud_api").revision == 2
    assert repo.plan().empty


def test_prune_refuses_a_view_a_model_was_trained_on(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    fs.models.register("scorer", total, feature_view=fs.get_feature_view("fraud", 1))
    repo.write(view=False)
    with pytest.raises(ConflictError, match="model scorer:1 was trained on it"):
        repo.apply(prune=True)
    fs.models.delete("scorer", 1)
    assert repo.apply(prune=True).removed == ("feature view fraud:1",)


def test_on_demand_features_and_transforms_in_the_repo_round_trip(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    extra = """
    from featurehouse.transforms.builtin import standard_scaler

    @fh.on_demand
    def amount_per_year(amount: float, age: int) -> float:
        return amount / age

    scored = fh.repo.FeatureView(
        name="scored", query=transactions.select(["amount"]).join(profiles.select_all(), on="cc_num"),
        on_demand=[amount_per_year], transforms={"amount": standard_scaler()},
    )
    """
    repo.write(extra=extra)
    repo.apply()
    view = fs.get_feature_view("scored")
    assert view.features == ["amount", "age", "amount_per_year"]
    assert list(view.transforms) == ["amount"]
    assert repo.plan().empty  # the stored references equal the re-read declarations
    repo.write(extra=extra.replace("amount / age", "amount * age"))
    assert repo.plan().empty  # a function's body is code, not definition: it is not compared
    repo.write(extra=extra.replace("standard_scaler()},", 'standard_scaler()}, labels=["x"],'))
    changes = repo.plan().of("breaking")
    assert [c.label for c in changes] == ["scored:1"] and changes[0].details[0].startswith("labels")
