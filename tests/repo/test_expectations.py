"""Expectations declared in the repo: created with the group, changed in place as a new
suite version, unchanged without one, and enforced on the inserts that follow."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import DataError, SchemaError, ValidationError
from featurehouse.validation.suite import EXPECTATION_SUITE
from tests.repo.conftest import RepoDir

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RANGE = 'fh.expect.between("amount", 0, {high}, name="amount_range")'
CATEGORY = 'fh.expect.in_set("category", ["a", "b"])'
NOT_NULL = 'fh.expect.not_null("amount")'


def batch(amounts: list[float], categories: list[str] | None = None) -> pa.Table:
    n = len(amounts)
    return pa.table(
        {
            "cc_num": pa.array(range(n), pa.int64()),
            "ts": pa.array(
                [T0 + timedelta(minutes=i) for i in range(n)], pa.timestamp("us", tz="UTC")
            ),
            "amount": pa.array(amounts, pa.float64()),
            "category": categories or ["a"] * n,
        }
    )


def suite_versions(fs: fh.FeatureStore) -> list[int]:
    table = fs.get_feature_group("transactions", 1)._spec.table_id
    return [e.version for e in fs._services.catalog.list(EXPECTATION_SUITE, table)]


def stored_suite(fs: fh.FeatureStore) -> tuple[list[dict[str, object]], str]:
    table = fs.get_feature_group("transactions", 1)._spec.table_id
    body = fs._services.catalog.get(EXPECTATION_SUITE, table).body
    return body["expectations"], body["on_invalid"]


def rows_stored(fs: fh.FeatureStore) -> int:
    return fs.get_feature_group("transactions", 1).read().to_arrow().num_rows


def expectations(*sources: str) -> str:
    return "[" + ", ".join(sources) + "]"


def test_create_applies_the_expectations_and_a_violating_insert_is_refused(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write(tx_expectations=expectations(RANGE.format(high=100), CATEGORY))
    plan = repo.plan()
    tx_change = next(c for c in plan.changes if c.label == "transactions:1")
    assert tx_change.action == "create"
    assert "expectation amount_range: expect.between('amount', low=0, high=100)" in (
        tx_change.details
    )
    repo.apply()
    tx = fs.get_feature_group("transactions", 1)
    assert [e.name for e in tx.expectations] == ["amount_range", "in_set(category)"]
    assert suite_versions(fs) == [1]
    assert stored_suite(fs)[1] == "raise"

    with pytest.raises(ValidationError) as refused:
        tx.insert(batch([5.0, 101.0]))
    assert refused.value.column == "amount"
    assert rows_stored(fs) == 0  # a refused insert writes nothing
    with pytest.raises(ValidationError):
        tx.insert(batch([5.0], ["z"]))
    assert tx.insert(batch([0.0, 100.0])).rows_inserted == 2


def test_changed_expectations_are_a_change_row_and_a_new_suite_version(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write(tx_expectations=expectations(RANGE.format(high=100), CATEGORY))
    repo.apply()
    # Widen the range, drop the category check, add not_null.
    repo.write(tx_expectations=expectations(RANGE.format(high=1000), NOT_NULL))
    plan = repo.plan()
    assert [(c.action, c.label) for c in plan.changes] == [("change", "transactions:1")]
    assert plan.changes[0].details == (
        "expectation added not_null(amount): expect.not_null('amount')",
        "expectation removed in_set(category): expect.in_set('category', values=['a', 'b'])",
        "expectation changed amount_range: expect.between('amount', low=0, high=100) -> "
        "expect.between('amount', low=0, high=1000)",
    )
    assert suite_versions(fs) == [1]  # planning writes nothing
    done = repo.apply()
    assert done.changed == ("feature group transactions:1",)
    assert suite_versions(fs) == [1, 2]
    tx = fs.get_feature_group("transactions", 1)
    assert [e.name for e in tx.expectations] == ["amount_range", "not_null(amount)"]
    # Inserts are checked against the new suite: what the old one refused passes now...
    assert tx.insert(batch([500.0], ["z"])).rows_inserted == 1
    # ...and what only the new one refuses is refused.
    with pytest.raises(ValidationError) as refused:
        tx.insert(batch([None, 1.0]))  # type: ignore[list-item]
    assert refused.value.report.suite_version == 2
    assert rows_stored(fs) == 1
    assert repo.plan().empty


def test_an_unchanged_suite_gives_no_row_and_no_new_version(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write(tx_expectations=expectations(RANGE.format(high=100), CATEGORY))
    repo.apply()
    # New objects, same JSON, another order: no change.
    repo.write(tx_expectations=expectations(CATEGORY, RANGE.format(high=100.0)))
    plan = repo.plan()
    assert plan.empty
    assert repo.apply().changed == ()
    assert suite_versions(fs) == [1]


def test_a_group_without_expectations_writes_no_suite(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    assert repo.plan().empty
    assert suite_versions(fs) == []


def test_policy_change_quarantines_the_failing_rows(repo: RepoDir, fs: fh.FeatureStore) -> None:
    declared = expectations(RANGE.format(high=100))
    repo.write(tx_expectations=declared)
    repo.apply()
    repo.write(tx_expectations=declared, tx_on_invalid="quarantine")
    plan = repo.plan()
    assert [c.details for c in plan.changes] == [("on_invalid: 'raise' -> 'quarantine'",)]
    repo.apply()
    assert suite_versions(fs) == [1, 2]
    suite, policy = stored_suite(fs)
    assert policy == "quarantine" and [e["name"] for e in suite] == ["amount_range"]

    rng = random.Random(7)
    amounts = [round(rng.uniform(-50, 150), 2) for _ in range(200)]
    bad = sum(1 for a in amounts if not 0 <= a <= 100)  # the reference: a plain loop
    result = fs.get_feature_group("transactions", 1).insert(batch(amounts))
    assert (result.rows_inserted, result.rows_quarantined) == (200 - bad, bad)
    stored = fs.get_feature_group("transactions", 1).read().to_arrow()
    assert sorted(stored.column("amount").to_pylist()) == sorted(
        a for a in amounts if 0 <= a <= 100
    )

    repo.write(tx_expectations=declared)  # back to the default policy
    assert [c.details for c in repo.plan().changes] == [("on_invalid: 'quarantine' -> 'raise'",)]


def test_expectations_set_from_code_show_as_removed(repo: RepoDir, fs: fh.FeatureStore) -> None:
    repo.write()
    repo.apply()
    fs.get_feature_group("transactions", 1).set_expectations([fh.expect.not_null("amount")])
    plan = repo.plan()
    assert [c.details for c in plan.changes] == [
        ("expectation removed not_null(amount): expect.not_null('amount')",)
    ]
    repo.apply()
    assert fs.get_feature_group("transactions", 1).expectations == []
    assert suite_versions(fs) == [1, 2]


def test_an_expectation_on_a_column_added_in_the_same_apply(
    repo: RepoDir, fs: fh.FeatureStore
) -> None:
    repo.write()
    repo.apply()
    schema = {"cc_num": "int64", "ts": "timestamp", "amount": "float64", "category": "string"}
    repo.write(
        tx_schema={**schema, "merchant": "string"},
        tx_expectations=expectations('fh.expect.regex("merchant", "^m")'),
    )
    details = repo.plan().changes[0].details
    assert details == (
        "add nullable column merchant string",
        "expectation added regex(merchant): expect.regex('merchant', pattern='^m')",
    )
    repo.apply()
    tx = fs.get_feature_group("transactions", 1)
    with pytest.raises(ValidationError):
        tx.insert(batch([1.0]).append_column("merchant", pa.array(["x"])))
    assert tx.insert(batch([1.0]).append_column("merchant", pa.array(["m1"]))).rows_inserted == 1


@pytest.mark.parametrize(
    ("values", "error", "received"),
    [
        ({"tx_expectations": expectations('fh.expect.not_null("nope")')}, SchemaError, "nope"),
        ({"tx_on_invalid": "ignore"}, DataError, "ignore"),
        ({"tx_expectations": expectations(NOT_NULL, NOT_NULL)}, SchemaError, "not_null(amount)"),
    ],
)
def test_a_bad_declaration_fails_the_plan_naming_the_group(
    repo: RepoDir,
    fs: fh.FeatureStore,
    values: dict[str, object],
    error: type[Exception],
    received: str,
) -> None:
    repo.write(**values)  # type: ignore[arg-type]
    with pytest.raises(error) as failed:
        repo.apply()
    assert "feature group transactions:1" in str(failed.value)
    assert failed.value.received == received  # type: ignore[attr-defined]
    assert fs._services.catalog.list("feature_group") == []  # refused before any change
