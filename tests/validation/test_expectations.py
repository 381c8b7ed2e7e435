"""Every expectation, passing and failing, with its edge cases: nulls and NaN, inclusive and
exclusive bounds, empty strings, `mostly`, and user-defined checks."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import DataError, SchemaError
from featurehouse.validation import expect
from featurehouse.validation.evaluate import evaluate
from featurehouse.validation.expectation import Expectation, expectation_from_json
from featurehouse.validation.report import ExpectationResult
from tests.validation import checks


def run(item: Expectation, **columns: Any) -> tuple[ExpectationResult, list[int]]:
    """The result, and the indices of the rows it blames (when it did not pass)."""
    evaluation = evaluate("t", [item], pa.table(columns))
    mask = evaluation.masks.get(item.name)
    failed = [] if mask is None else [i for i, f in enumerate(mask.to_pylist()) if f]
    return evaluation.results[0], failed


def test_not_null_fails_on_null_and_nan_not_on_empty_string() -> None:
    result, failed = run(expect.not_null("x"), x=pa.array([1.0, None, math.nan, 0.0]))
    assert (result.success, result.failed_rows, failed) == (False, 2, [1, 2])
    result, failed = run(expect.not_null("s"), s=pa.array(["", "a"]))
    assert result.success and failed == [] and result.failed_rows == 0


@pytest.mark.parametrize(
    ("inclusive", "failing"),
    [("both", []), ("neither", [0, 2]), ("left", [2]), ("right", [0])],
)
def test_between_bounds_inclusive_or_not(inclusive: str, failing: list[int]) -> None:
    values = pa.array([0.0, 5.0, 10.0, None, math.nan, -0.5])
    result, failed = run(expect.between("x", 0, 10, inclusive=inclusive), x=values)
    assert failed == sorted([*failing, 5])  # -0.5 always out; null and NaN never checked
    assert result.checked_rows == 4
    assert set(result.unexpected) == {values[i].as_py() for i in [*failing, 5]}


def test_between_open_ends_and_types() -> None:
    assert run(expect.between("x", low=3), x=[1, 3, 9])[1] == [0]
    assert run(expect.between("x", high=3), x=[1, 3, 9])[1] == [2]
    assert run(expect.between("x"), x=[1, 3, 9])[0].success
    assert run(expect.between("x", 1.5, 2.5), x=pa.array([1, 2, 3], pa.int64()))[1] == [0, 2]
    assert run(expect.between("s", "b", "c"), s=["a", "b", "bz", "d"])[1] == [0, 3]


def test_between_datetimes_on_a_utc_timestamp_column() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    ts = pa.array([t0, t0 + timedelta(days=1), t0 + timedelta(days=3)], pa.timestamp("us", "UTC"))
    item = expect.between("ts", datetime(2026, 1, 1), t0 + timedelta(days=2))  # naive is UTC
    assert run(item, ts=ts)[1] == [2]
    again = expectation_from_json(json.loads(json.dumps(item.to_json())))
    assert run(again, ts=ts)[1] == [2]


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(SchemaError, match=r"low <= high"):
        expect.between("x", 5, 1)
    with pytest.raises(SchemaError, match="inclusive") as info:
        expect.between("x", 1, 5, inclusive="yes")
    assert info.value.received == "yes"
    with pytest.raises(SchemaError, match="cannot run on column 's' of type string") as err:
        run(expect.between("s", 0, 1), s=["a"])
    assert err.value.column == "s"


def test_in_set_skips_nulls_and_checks_types() -> None:
    result, failed = run(expect.in_set("c", ["a", "b"]), c=["a", "", None, "z", "b"])
    assert failed == [1, 3] and set(result.unexpected) == {"", "z"}
    assert run(expect.in_set("c", ["a", ""]), c=["a", ""])[0].success
    assert run(expect.in_set("n", [1, 2]), n=pa.array([1, 2, 3], pa.int32()))[1] == [2]
    assert run(expect.in_set("n", []), n=[1, None])[1] == [0]
    with pytest.raises(SchemaError, match="in_set"):
        run(expect.in_set("n", ["a"]), n=[1])
    with pytest.raises(SchemaError, match="a list of values"):
        expect.in_set("c", "ab")


def test_regex_searches_like_re_search() -> None:
    item = expect.regex("s", "b+")
    assert run(item, s=["abc", "xyz", "", None, "b"])[1] == [1, 2]
    anchored = expect.regex("s", r"^[a-z]{2}\d$")
    assert run(anchored, s=["ab1", "ab12", "xab1", None])[1] == [1, 2]
    with pytest.raises(SchemaError, match="RE2"):
        expect.regex("s", "(?=a)")  # lookahead: Python has it, RE2 does not
    with pytest.raises(SchemaError, match="cannot run"):
        run(expect.regex("n", "1"), n=[1])


def test_length_between_counts_characters() -> None:
    item = expect.length_between("s", 1, 2)
    result, failed = run(item, s=["", "a", "é€", "abc", None])
    assert failed == [0, 3] and result.checked_rows == 4
    assert run(expect.length_between("s", 1, 2, inclusive="neither"), s=["a", "ab"])[1] == [0, 1]
    assert run(expect.length_between("s", 0, 0), s=["", "x"])[1] == [1]


def test_unique_blames_every_repeat_and_skips_nulls() -> None:
    result, failed = run(expect.unique("k"), k=[1, 2, 2, None, None, 3, 2])
    assert failed == [1, 2, 6] and result.unexpected == [2] and result.failed_rows == 3
    assert run(expect.unique("k"), k=[1, 2, None, None])[0].success
    pair = expect.unique(["a", "b"])
    assert run(pair, a=[1, 1, 1, None, None], b=["x", "y", "x", "x", "x"])[1] == [0, 2]


def test_unique_within_a_group() -> None:
    item = expect.unique("ts", within=["key"])
    assert item.name == "unique(ts)" and item.columns == ["ts", "key"]
    failed = run(item, ts=[1, 1, 2, 2, 2], key=["a", "b", "a", "a", "b"])[1]
    assert failed == [2, 3]


def test_batch_statistics_against_numpy() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(5, 2, 500)
    values[::7] = np.nan
    column = pa.array(values)  # NaN counts as missing
    clean = values[~np.isnan(values)]
    mean, std, q9 = clean.mean(), clean.std(ddof=1), np.quantile(clean, 0.9)
    for item, expected in [
        (expect.mean_between("x", 4, 6), mean),
        (expect.stddev_between("x", 1, 3), std),
        (expect.quantile_between("x", 0.9, 0, 100), q9),
    ]:
        result, failed = run(item, x=column)
        assert result.success and not result.row_level and failed == []
        assert result.observed == pytest.approx(expected, rel=1e-12)
        # the bound equal to the observed value: in when inclusive, out when not
        at = float(result.observed)
        low = {k: v for k, v in item.params.items() if k == "quantile"}
        make = getattr(expect, item.kind)
        args = [item.column, *low.values()]
        assert run(make(*args, at, None), x=column)[0].success
        assert not run(make(*args, at, None, inclusive="right"), x=column)[0].success
        assert not run(make(*args, None, at, inclusive="left"), x=column)[0].success


def test_statistics_of_no_values_fail() -> None:
    nothing = pa.array([None, None], pa.float64())
    for item in (expect.mean_between("x", 0, 1), expect.quantile_between("x", 0.5, 0, 1)):
        result = run(item, x=nothing)[0]
        assert not result.success and result.observed is None
    assert not run(expect.stddev_between("x", 0, 1), x=[1.0])[0].success  # one value: no stddev
    with pytest.raises(SchemaError, match="numeric"):
        run(expect.mean_between("s", 0, 1), s=["a"])
    with pytest.raises(SchemaError, match="quantile"):
        expect.quantile_between("x", 1.5, 0, 1)


def test_row_count_between() -> None:
    assert run(expect.row_count_between(2, 3), x=[1, 2, 3])[0].success
    result = run(expect.row_count_between(2, 3, inclusive="left"), x=[1, 2, 3])[0]
    assert not result.success and result.observed == 3
    assert run(expect.row_count_between(low=4), x=[1, 2, 3])[0].observed == 3


def test_mostly_is_a_fraction_of_checked_values() -> None:
    values = [*range(9), 100, None, None]  # 1 bad of 10 checked values (nulls not checked)
    assert run(expect.between("x", 0, 10, mostly=0.9), x=values)[0].success
    assert not run(expect.between("x", 0, 10, mostly=0.91), x=values)[0].success
    result = run(expect.not_null("x", mostly=0.8), x=values)[0]  # 2 nulls of 12 rows
    assert result.success and result.failed_rows == 2
    with pytest.raises(SchemaError, match="mostly"):
        expect.not_null("x", mostly=0)


def test_user_defined_checks_by_column_batch_and_bool() -> None:
    even = expect.check(checks.even, "n")
    assert even.params["function"] == "tests.validation.checks:even" and even.name == "even"
    assert run(even, n=[2, 3, 4, None])[1] == [1, 3]  # a null in the mask is a failure
    refunds = expect.check(checks.refunds_negative, name="refunds")
    batch = {"kind": ["sale", "refund", "refund"], "amount": [5.0, -2.0, 3.0]}
    assert run(refunds, **batch)[1] == [2]
    small = expect.check(checks.at_most_ten_rows)
    result, failed = run(small, x=list(range(11)))
    assert not result.success and not result.row_level and failed == []
    assert run(small, x=[1])[0].success


def test_user_defined_checks_that_misbehave() -> None:
    with pytest.raises(DataError, match="boolean mask of 3 rows"):
        run(expect.check(checks.wrong_length, "x"), x=[1, 2, 3])
    with pytest.raises(DataError, match="RuntimeError: boom") as info:
        run(expect.check(checks.explodes, "x"), x=[1])
    assert info.value.obj == "explodes"

    def local(values: Any) -> bool:
        return True

    for function in (local, lambda values: True, np.isnan):
        with pytest.raises(SchemaError, match=r"declared with @fh\.check"):
            expect.check(function)
    with pytest.raises(SchemaError, match="top level of a module"):
        expect.check(fh.check(local))


def test_a_missing_column_is_named() -> None:
    with pytest.raises(SchemaError, match="'amount'") as info:
        run(expect.not_null("amount"), x=[1])
    assert info.value.column == "amount" and info.value.expected == ["x"]


@pytest.mark.parametrize(
    "item",
    [
        expect.not_null("a", mostly=0.5),
        expect.unique(["a", "b"], within=["k"]),
        expect.between("a", 0, 1.5, inclusive="neither"),
        expect.between("t", datetime(2026, 1, 1, tzinfo=UTC)),
        expect.in_set("a", ["x", 1, None]),
        expect.regex("a", "^x"),
        expect.length_between("a", 0, 3),
        expect.mean_between("a", 0, 1),
        expect.stddev_between("a", high=2),
        expect.quantile_between("a", 0.25, 1, 2),
        expect.row_count_between(1),
        expect.check(checks.even, "a", name="even_a"),
    ],
    ids=lambda item: item.kind,
)
def test_expectations_round_trip_through_json(item: Expectation) -> None:
    assert expectation_from_json(json.loads(json.dumps(item.to_json()))) == item
    assert repr(item).startswith(f"expect.{item.kind}(")
