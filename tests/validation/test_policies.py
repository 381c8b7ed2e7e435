"""Validation in the insert path: under "raise" nothing is written; under "quarantine" the
valid rows are committed and exactly the invalid ones are quarantined with their reasons,
and can be fixed and inserted again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import DataError, SchemaError, ValidationError
from featurehouse.validation import expect
from featurehouse.validation.report import ValidationReport

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RULES = [
    expect.not_null("amount"),
    expect.between("amount", 0, 100),
    expect.in_set("category", ["a", "b"]),
]


def rows(*items: tuple[int, float | None, str]) -> list[dict[str, Any]]:
    """(key, amount, category) -> rows, one hour apart."""
    return [
        {"id": k, "ts": T0 + timedelta(hours=i), "amount": a, "category": c}
        for i, (k, a, c) in enumerate(items)
    ]


BATCH = rows((1, 5.0, "a"), (2, None, "b"), (3, 500.0, "z"), (4, 100.0, "b"), (5, -1.0, "a"))


@pytest.fixture
def fg(fs: fh.FeatureStore) -> fh.FeatureGroup:
    return fs.create_feature_group(
        "tx", version=1, primary_key=["id"], event_time="ts", online=True, expectations=RULES
    )


def stored(fg: fh.FeatureGroup) -> list[tuple[int, float | None, str]]:
    table = fg.read().to_arrow().sort_by("id")
    return list(
        zip(*(table.column(c).to_pylist() for c in ("id", "amount", "category")), strict=True)
    )


def quarantined(fg: fh.FeatureGroup, report: int | None = None) -> list[tuple[Any, ...]]:
    table = fg.read_quarantine(report).to_arrow().sort_by("id")
    columns = ("id", "amount", "category", "_fh_failed_expectations", "_fh_report")
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def test_raise_writes_nothing_and_attaches_the_stored_report(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((9, 1.0, "a")))
    version = fg.commits()[-1].version
    with pytest.raises(ValidationError) as info:
        fg.insert(BATCH)
    err = info.value
    assert isinstance(err, DataError) and err.obj == "tx:1" and err.column == "amount"
    assert err.expected == ["not_null(amount)", "between(amount)", "in_set(category)"]
    assert err.received == {"not_null(amount)": 1, "between(amount)": 2, "in_set(category)": 1}
    report: ValidationReport = err.report
    assert (report.rows_checked, report.rows_failed, report.rows_quarantined) == (5, 3, 0)
    assert report.commit_version is None and report.on_invalid == "raise"
    by_name = {r.name: r for r in report.results}
    assert by_name["between(amount)"].unexpected == [500.0, -1.0]
    assert by_name["in_set(category)"].unexpected == ["z"]
    assert fg.commits()[-1].version == version  # no Delta commit
    assert stored(fg) == [(9, 1.0, "a")]
    assert fg.get_online({"id": 1}) is None
    assert fg.validation_reports()[-1] == report
    assert fg.read_quarantine().num_rows == 0


def test_quarantine_commits_valid_rows_and_quarantines_exactly_the_rest(
    fg: fh.FeatureGroup,
) -> None:
    result = fg.insert(BATCH, on_invalid="quarantine")
    assert (result.rows_inserted, result.rows_quarantined) == (2, 3)
    assert stored(fg) == [(1, 5.0, "a"), (4, 100.0, "b")]
    assert fg.get_online({"id": 4})["amount"] == 100.0  # type: ignore[index]
    assert fg.get_online({"id": 3}) is None
    number = result.validation_report
    assert quarantined(fg) == [
        (2, None, "b", ["not_null(amount)"], number),
        (3, 500.0, "z", ["between(amount)", "in_set(category)"], number),
        (5, -1.0, "a", ["between(amount)"], number),
    ]
    report = fg.validation_reports()[-1]
    assert report.number == number and report.commit_version == result.version
    assert (report.rows_failed, report.rows_quarantined, report.on_invalid) == (3, 3, "quarantine")
    # the quarantined rows keep the group's types, ready to go back in
    fixed = fg.read_quarantine(reasons=False).to_arrow()
    assert fixed.schema == fg.schema


def test_fixed_rows_go_back_in_and_the_quarantine_is_cleared(fg: fh.FeatureGroup) -> None:
    first = fg.insert(BATCH, on_invalid="quarantine").validation_report
    fixed = fg.read_quarantine(reasons=False).to_pandas()
    fixed["amount"] = fixed["amount"].fillna(0).clip(0, 100)
    fixed["category"] = "a"
    result = fg.insert(fixed)
    assert (result.rows_inserted, result.rows_quarantined) == (3, 0)
    assert stored(fg) == [
        (1, 5.0, "a"),
        (2, 0.0, "a"),
        (3, 100.0, "a"),
        (4, 100.0, "b"),
        (5, 0.0, "a"),
    ]
    assert fg.validation_reports()[-1].success
    assert fg.clear_quarantine(report=first) == 3
    assert fg.read_quarantine().num_rows == 0
    assert fg.clear_quarantine() == 0


def test_clear_by_report_keeps_other_reports(fg: fh.FeatureGroup) -> None:
    one = fg.insert(rows((1, None, "a"), (9, 1.0, "a")), on_invalid="quarantine").validation_report
    two = fg.insert(rows((2, None, "a"), (9, 1.0, "a")), on_invalid="quarantine").validation_report
    assert [r[0] for r in quarantined(fg, report=two)] == [2]
    assert fg.clear_quarantine(report=one) == 1
    assert [(r[0], r[4]) for r in quarantined(fg)] == [(2, two)]


def test_a_failed_batch_expectation_quarantines_the_whole_batch(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group(
        "tx",
        primary_key=["id"],
        event_time="ts",
        expectations=[expect.mean_between("amount", 0, 10), expect.in_set("category", ["a"])],
        on_invalid="quarantine",
    )
    result = fg.insert(rows((1, 5.0, "a"), (2, 50.0, "b")))
    assert (result.rows_inserted, result.rows_quarantined, result.version) == (0, 2, -1)
    assert fg.commits() == [] and fg.schema is None
    assert quarantined(fg) == [
        (1, 5.0, "a", ["mean_between(amount)"], 1),
        (2, 50.0, "b", ["mean_between(amount)", "in_set(category)"], 1),
    ]
    report = fg.validation_reports()[0]
    assert report.commit_version is None and report.rows_failed == 2
    assert report.results[0].observed == 27.5


def test_policy_per_group_and_per_insert(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group(
        "tx", primary_key=["id"], event_time="ts", expectations=RULES, on_invalid="quarantine"
    )
    assert fg.insert(BATCH).rows_quarantined == 3
    with pytest.raises(ValidationError):
        fg.insert(BATCH, on_invalid="raise")
    with pytest.raises(DataError, match="on_invalid must be one of") as info:
        fg.insert(BATCH, on_invalid="drop")
    assert info.value.received == "drop"
    with pytest.raises(DataError, match="on_invalid"):
        fs.create_feature_group("other", primary_key=["id"], event_time="ts", on_invalid="skip")
    assert [g.name for g in fs.list_feature_groups()] == ["tx"]


def test_valid_batches_are_reported_with_their_commit(fg: fh.FeatureGroup) -> None:
    result = fg.insert(rows((1, 1.0, "a"), (2, 2.0, "b")))
    assert result.rows_quarantined == 0
    (report,) = fg.validation_reports()
    assert report.success and report.commit_version == result.version
    assert report.suite_version == 1 and report.rows_checked == 2


def test_a_group_without_expectations_is_not_validated(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group("plain", primary_key=["id"], event_time="ts")
    result = fg.insert(BATCH)
    assert (result.rows_inserted, result.validation_report) == (5, None)
    assert fg.validation_reports() == [] and fg.expectations == []


def test_expectations_on_columns_the_group_does_not_have(fs: fh.FeatureStore) -> None:
    # before the first insert the schema is unknown: the batch must bring the column
    fg = fs.create_feature_group(
        "tx", primary_key=["id"], event_time="ts", expectations=[expect.not_null("extra")]
    )
    with pytest.raises(SchemaError, match="'extra'") as info:
        fg.insert(rows((1, 1.0, "a")))
    assert info.value.column == "extra" and fg.commits() == []
    data = pa.Table.from_pylist(rows((2, 1.0, "a"), (3, 1.0, "a")))
    result = fg.insert(data.append_column("extra", pa.array([1, None])), on_invalid="quarantine")
    assert (result.rows_inserted, result.rows_quarantined) == (1, 1)
    # once the schema is known, a typo is refused when the expectation is declared
    with pytest.raises(SchemaError, match="'missing'"):
        fg.set_expectations([expect.not_null("missing")])
    assert fg.expectations == [expect.not_null("extra")]
