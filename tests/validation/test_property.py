"""The vectorized evaluation agrees with a plain Python reference, row by row, on random
data with nulls, NaN, repeats and empty strings; so does the quarantine split."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featurehouse.core.quarantine import FAILED, split_rows
from featurehouse.validation import expect
from featurehouse.validation.evaluate import evaluate
from featurehouse.validation.expectation import Expectation

PATTERNS = ["^a", "b$", "a.c", "[0-9]+", "^(ab|c)*$", "x?y", ""]
INCLUSIVE = ["both", "neither", "left", "right"]

# mostly small integers, so that values often sit exactly on a bound or repeat
numbers = st.one_of(
    st.none(),
    st.just(math.nan),
    st.integers(-3, 3).map(float),
    st.integers(-3, 3).map(float),
    st.floats(-10, 10),
)
texts = st.one_of(st.none(), st.text(alphabet="abcxy0", max_size=4))
bounds = st.one_of(st.none(), st.integers(-6, 6))


@st.composite
def batches(draw: st.DrawFn) -> dict[str, list[Any]]:
    n = draw(st.integers(1, 40))
    return {
        "x": draw(st.lists(numbers, min_size=n, max_size=n)),
        "s": draw(st.lists(texts, min_size=n, max_size=n)),
        "g": draw(st.lists(st.sampled_from(["p", "q"]), min_size=n, max_size=n)),
    }


@st.composite
def row_expectations(draw: st.DrawFn) -> Expectation:
    low, high = sorted(draw(st.lists(st.integers(-3, 3), min_size=2, max_size=2)))
    pick = draw(st.sampled_from(["low", "high", "both", "none"]))
    low_b = low if pick in ("low", "both") else None
    high_b = high if pick in ("high", "both") else None
    inclusive = draw(st.sampled_from(INCLUSIVE))
    kind = draw(st.sampled_from(["not_null", "between", "in_set", "regex", "length", "unique"]))
    if kind == "not_null":
        return expect.not_null(draw(st.sampled_from(["x", "s"])))
    if kind == "between":
        return expect.between("x", low_b, high_b, inclusive=inclusive)
    if kind == "in_set":
        return expect.in_set("s", draw(st.lists(texts.filter(lambda t: t is not None))))
    if kind == "regex":
        return expect.regex("s", draw(st.sampled_from(PATTERNS)))
    if kind == "length":
        return expect.length_between("s", max(low_b or 0, 0), high_b and abs(high_b) + 4)
    within = draw(st.sampled_from([(), ("g",)]))
    return expect.unique(draw(st.sampled_from(["x", "s"])), within=within)


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def outside(value: Any, params: dict[str, Any]) -> bool:
    low, high, inclusive = params["low"], params["high"], params["inclusive"]
    if low is not None and (value < low if inclusive in ("both", "left") else value <= low):
        return True
    return high is not None and (value > high if inclusive in ("both", "right") else value >= high)


def reference(item: Expectation, data: dict[str, list[Any]]) -> list[bool]:
    """Failed rows, one Python value at a time."""
    values = data[str(item.column)]
    if item.kind == "not_null":
        return [missing(v) for v in values]
    if item.kind == "unique":
        keys = [
            (v, *(data[w][i] for w in item.params.get("within", []))) for i, v in enumerate(values)
        ]
        keys = [None if missing(k[0]) else k for k in keys]
        counts = Counter(k for k in keys if k is not None)
        return [k is not None and counts[k] > 1 for k in keys]
    checks = {
        "between": lambda v: outside(v, item.params),
        "in_set": lambda v: v not in item.params["values"],
        "regex": lambda v: re.search(item.params["pattern"], v) is None,
        "length_between": lambda v: outside(len(v), item.params),
    }
    return [not missing(v) and checks[item.kind](v) for v in values]


def table_of(data: dict[str, list[Any]]) -> pa.Table:
    return pa.table(
        {
            "x": pa.array(data["x"], pa.float64()),
            "s": pa.array(data["s"], pa.string()),
            "g": data["g"],
        }
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=batches(), items=st.lists(row_expectations(), min_size=1, max_size=4))
def test_row_checks_match_the_python_reference(
    data: dict[str, list[Any]], items: list[Expectation]
) -> None:
    items = [
        Expectation(i.kind, i.column, f"e{n}", i.params, i.mostly) for n, i in enumerate(items)
    ]
    table = table_of(data)
    evaluation = evaluate("t", items, table)
    expected_names: list[list[str]] = [[] for _ in range(table.num_rows)]
    for item, result in zip(items, evaluation.results, strict=True):
        failed = reference(item, data)
        assert result.failed_rows == sum(failed), item
        assert result.success == (not any(failed)), item
        if not result.success:
            assert evaluation.masks[item.name].to_pylist() == failed, item
        for row, bad in enumerate(failed):
            if bad:
                expected_names[row].append(item.name)
    valid, invalid = split_rows(table, evaluation)
    keep = [not names for names in expected_names]
    # repr: NaN equals NaN there
    assert repr(valid.to_pylist()) == repr(table.filter(pa.array(keep)).to_pylist())
    rejected = table.filter(pa.array([not k for k in keep]))
    assert repr(invalid.drop_columns([FAILED]).to_pylist()) == repr(rejected.to_pylist())
    assert invalid.column(FAILED).to_pylist() == [n for n in expected_names if n]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    data=batches(),
    low=bounds,
    high=bounds,
    q=st.sampled_from([0.0, 0.1, 0.5, 0.75, 1.0]),
)
def test_batch_statistics_match_numpy(
    data: dict[str, list[Any]], low: int | None, high: int | None, q: float
) -> None:
    if low is not None and high is not None and low > high:
        low, high = high, low
    present = np.array([v for v in data["x"] if not missing(v)], dtype=float)
    items = [
        expect.mean_between("x", low, high),
        expect.stddev_between("x", low, high),
        expect.quantile_between("x", q, low, high),
        expect.row_count_between(low, high),
    ]
    stats = [
        present.mean() if present.size else None,
        present.std(ddof=1) if present.size > 1 else None,
        np.quantile(present, q) if present.size else None,
        len(data["x"]),
    ]
    evaluation = evaluate("t", items, table_of(data))
    for item, result, stat in zip(items, evaluation.results, stats, strict=True):
        if stat is None:
            assert result.observed is None and not result.success, item
            continue
        assert result.observed == pytest.approx(stat, rel=1e-9, abs=1e-9), item
        near_bound = any(b is not None and abs(stat - b) < 1e-9 for b in (low, high))
        if not near_bound:
            inside = (low is None or stat >= low) and (high is None or stat <= high)
            assert result.success == inside, item
    if evaluation.batch_failed:  # no row is to blame: the whole batch goes
        valid, invalid = split_rows(table_of(data), evaluation)
        assert valid.num_rows == 0 and invalid.num_rows == len(data["x"])
