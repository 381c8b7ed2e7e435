"""Expectation suites are versioned in the catalog and every report names the version it
ran; Great Expectations suites saved as JSON are imported; user-defined checks are stored
by import path and run in another process's store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import featurehouse as fh
from featurehouse.errors import SchemaError, ValidationError
from featurehouse.validation import expect
from tests.validation import checks

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(amounts: list[float], category: str = "a") -> list[dict[str, Any]]:
    return [
        {"id": i, "ts": T0 + timedelta(hours=i), "amount": a, "category": category}
        for i, a in enumerate(amounts)
    ]


def test_each_change_is_a_new_suite_version_and_reports_record_it(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group(
        "tx", primary_key=["id"], event_time="ts", expectations=[expect.between("amount", 0, 10)]
    )
    fg.insert(rows([1.0, 2.0]))
    suite = fg.set_expectations([expect.between("amount", 0, 1)], on_invalid="quarantine")
    assert (suite.version, suite.on_invalid) == (2, "quarantine")
    assert fg.expectations == [expect.between("amount", 0, 1)]
    assert fg.insert(rows([1.0, 2.0])).rows_quarantined == 1
    suite = fg.set_expectations([expect.not_null("amount")])  # the policy is kept
    assert (suite.version, suite.on_invalid) == (3, "quarantine")
    reports = fs.get_feature_group("tx").validation_reports()  # another handle: the catalog
    assert [(r.number, r.suite_version, r.success) for r in reports] == [
        (1, 1, True),
        (2, 2, False),
    ]
    assert reports[1].results[0].unexpected == [2.0]


def test_a_bad_suite_is_refused_before_anything_is_stored(fs: fh.FeatureStore) -> None:
    twice = [expect.not_null("amount"), expect.not_null("amount")]
    with pytest.raises(SchemaError, match="name="):
        fs.create_feature_group("tx", primary_key=["id"], event_time="ts", expectations=twice)
    with pytest.raises(SchemaError, match="expect"):
        fs.create_feature_group(
            "tx",
            primary_key=["id"],
            event_time="ts",
            expectations=["not_null(amount)"],  # type: ignore[list-item]
        )
    assert fs.list_feature_groups() == []
    named = [expect.not_null("amount"), expect.not_null("amount", mostly=0.5, name="mostly")]
    fg = fs.create_feature_group("tx", primary_key=["id"], event_time="ts", expectations=named)
    assert [e.name for e in fg.expectations] == ["not_null(amount)", "mostly"]


def test_user_defined_checks_are_stored_by_import_path(fs: fh.FeatureStore, home: Path) -> None:
    fs.create_feature_group(
        "tx",
        primary_key=["id"],
        event_time="ts",
        expectations=[expect.check(checks.at_most_ten_rows), expect.check(checks.even, "id")],
    )
    with fh.connect(home) as other:  # a fresh handle rebuilds the checks from the catalog
        fg = other.get_feature_group("tx")
        with pytest.raises(ValidationError) as info:
            fg.insert(rows([1.0] * 12))
    report = info.value.report
    assert report.failed_expectations == ["at_most_ten_rows", "even"]
    assert [r.failed_rows for r in report.results] == [0, 6]


GE_SUITE = {
    "expectation_suite_name": "transactions.warning",
    "data_asset_type": "Dataset",
    "meta": {"great_expectations_version": "0.18.12"},
    "expectations": [
        {
            "expectation_type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 1, "max_value": 1000},
            "meta": {},
        },
        {"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {
            "expectation_type": "expect_column_values_to_be_between",
            "kwargs": {
                "column": "amount",
                "min_value": 0,
                "max_value": 100,
                "strict_min": True,
                "mostly": 0.5,
                "result_format": "BASIC",
            },
        },
        {
            "expectation_type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "category", "value_set": ["a", "b"]},
        },
        {
            "expectation_type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "category", "regex": "^[a-z]$"},
        },
        {"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
        {
            "expectation_type": "expect_column_value_lengths_to_be_between",
            "kwargs": {"column": "category", "min_value": 1, "max_value": 3},
        },
        {
            "expectation_type": "expect_column_mean_to_be_between",
            "kwargs": {"column": "amount", "min_value": 0, "max_value": 50},
        },
        {
            "expectation_type": "expect_column_stdev_to_be_between",
            "kwargs": {"column": "amount", "max_value": 40, "strict_max": True},
        },
        {
            "expectation_type": "expect_column_quantile_values_to_be_between",
            "kwargs": {
                "column": "amount",
                "quantile_ranges": {"quantiles": [0.1, 0.9], "value_ranges": [[0, 10], [10, 90]]},
                "allow_relative_error": False,
            },
        },
        {
            "expectation_type": "expect_column_median_to_be_between",
            "kwargs": {"column": "amount", "min_value": 1, "max_value": 60},
        },
        {
            "expectation_type": "expect_compound_columns_to_be_unique",
            "kwargs": {"column_list": ["id", "category"]},
        },
    ],
}


def test_great_expectations_suite_from_json_file(tmp_path: Path, fs: fh.FeatureStore) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(GE_SUITE))
    imported = fh.expect.from_great_expectations(path)
    assert imported == [
        expect.row_count_between(1, 1000),
        expect.not_null("id"),
        expect.between("amount", 0, 100, inclusive="right", mostly=0.5),
        expect.in_set("category", ["a", "b"]),
        expect.regex("category", "^[a-z]$"),
        expect.unique("id"),
        expect.length_between("category", 1, 3),
        expect.mean_between("amount", 0, 50),
        expect.stddev_between("amount", None, 40, inclusive="left"),
        expect.quantile_between("amount", 0.1, 0, 10),
        expect.quantile_between("amount", 0.9, 10, 90),
        expect.quantile_between("amount", 0.5, 1, 60, name="median_between(amount)"),
        expect.unique(["id", "category"]),
    ]
    fg = fs.create_feature_group("tx", primary_key=["id"], event_time="ts", expectations=imported)
    assert fg.insert(rows([1.0, 20.0, 30.0, 80.0])).rows_inserted == 4
    with pytest.raises(ValidationError) as info:
        fg.insert(rows([0.0, 0.0, 0.0, 1.0], category="abcd"))
    assert info.value.report.failed_expectations == [
        "between(amount)",  # strictly above 0 for half the rows: 3 of 4 are 0
        "in_set(category)",
        "regex(category)",
        "length_between(category)",
        "quantile_between(amount, 0.9)",
        "median_between(amount)",
    ]


def test_great_expectations_1x_layout_and_equal_types() -> None:
    suite = {
        "name": "tx",
        "expectations": [
            {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 3}, "id": "x"},
            {"type": "expect_column_value_lengths_to_equal", "kwargs": {"column": "c", "value": 2}},
        ],
    }
    assert fh.expect.from_great_expectations(suite) == [
        expect.row_count_between(3, 3),
        expect.length_between("c", 2, 2),
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"expectation_type": "expect_column_kl_divergence_to_be_less_than", "kwargs": {}},
            "'expect_column_kl_divergence_to_be_less_than' is not supported",
        ),
        (
            {
                "expectation_type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a", "row_condition": "b > 1"},
            },
            r"keyword\(s\) \['row_condition'\] are not supported",
        ),
        (
            {"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a"}},
            "needs the keyword 'value_set'",
        ),
    ],
)
def test_great_expectations_that_cannot_be_imported(item: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message) as info:
        fh.expect.from_great_expectations({"expectations": [item]})
    assert info.value.obj == "the suite"
    with pytest.raises(SchemaError, match="not a Great Expectations suite"):
        fh.expect.from_great_expectations({"name": "x"})


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("expect_column_values_to_not_be_null", {"column": "a"}),
        ("expect_column_values_to_be_unique", {"column": "a"}),
        ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]}),
        ("expect_column_values_to_be_between", {"column": "a", "min_value": 0}),
        ("expect_column_values_to_be_in_set", {"column": "a", "value_set": [0]}),
        ("expect_column_values_to_match_regex", {"column": "a", "regex": "x"}),
        ("expect_column_value_lengths_to_be_between", {"column": "a", "max_value": 0}),
        ("expect_column_value_lengths_to_equal", {"column": "a", "value": 0}),
    ],
)
def test_great_expectations_mostly_zero_is_refused_not_made_strict(
    kind: str, kwargs: dict[str, Any]
) -> None:
    """``mostly: 0.0`` (always passes in GE) must not become the strictest ``mostly=1.0``."""
    suite = {"expectations": [{"expectation_type": kind, "kwargs": {**kwargs, "mostly": 0.0}}]}
    with pytest.raises(SchemaError, match=rf"{kind}: .*mostly must be a fraction") as info:
        fh.expect.from_great_expectations(suite)
    assert info.value.obj == "the suite" and info.value.column == "mostly"
    assert info.value.received == 0.0


@pytest.mark.parametrize("mostly", [None, 0.25])
def test_great_expectations_falsy_values_are_imported_as_written(mostly: float | None) -> None:
    """Zero bounds stay zero, ``mostly: null`` is GE's default (1.0), a fraction is kept."""
    suite = {
        "expectations": [
            {
                "expectation_type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": 0, "max_value": 0, "mostly": mostly},
            },
            {
                "expectation_type": "expect_column_value_lengths_to_equal",
                "kwargs": {"column": "s", "value": 0, "mostly": mostly},
            },
            {"expectation_type": "expect_table_row_count_to_equal", "kwargs": {"value": 0}},
        ]
    }
    fraction = 1.0 if mostly is None else mostly
    assert fh.expect.from_great_expectations(suite) == [
        expect.between("a", 0, 0, mostly=fraction),
        expect.length_between("s", 0, 0, mostly=fraction),
        expect.row_count_between(0, 0),
    ]
