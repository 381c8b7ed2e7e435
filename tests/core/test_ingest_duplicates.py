"""In-batch duplicates of (primary key, event time): the last one wins, whatever the order
of the batch (sorted by time either way, by key, or not at all) and however it is chunked,
against a plain-Python reference."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featurehouse.catalog.records import FeatureGroupSpec
from featurehouse.core.ingest import prepare_batch
from featurehouse.engine.duckdb import DuckDBEngine
from featurehouse.errors import DataError

SPEC = FeatureGroupSpec(name="g", version=1, primary_key=("id", "kind"), event_time="ts")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# Microseconds apart, and far from today: equal and unequal times side by side.
TIMES = [
    datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    T0,
    T0 + timedelta(microseconds=1),
    T0 + timedelta(milliseconds=1),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]
KEYS = [0, 1, -1, 2**63 - 1, -(2**63)]
ORDERS = ["unsorted", "time", "time descending", "key", "key descending"]


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    opened = DuckDBEngine()
    yield opened
    opened.close()


def last_wins(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference: per (id, kind, ts) the last row, in the order of those last rows."""
    last = {(r["id"], r["kind"], r["ts"]): i for i, r in enumerate(rows)}
    return [rows[i] for i in sorted(last.values())]


def nan_as_text(value: float | None) -> float | str | None:
    return "nan" if value is not None and math.isnan(value) else value


def ordered(rows: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """``rows`` sorted as a pipeline might send them (a stable sort keeps the order of
    duplicates, so the reference still knows which one is last)."""
    if order == "unsorted":
        return rows
    column = "ts" if order.startswith("time") else "id"
    return sorted(rows, key=lambda r: r[column], reverse=order.endswith("descending"))


def chunked(rows: list[dict[str, Any]], cuts: list[int]) -> pa.Table:
    """A table of ``rows`` in chunks that end at ``cuts``: duplicates straddle chunks."""
    table = pa.Table.from_pylist(rows)
    bounds = sorted({0, *(c % (len(rows) + 1) for c in cuts), len(rows)})
    return pa.concat_tables(table.slice(a, b - a) for a, b in itertools.pairwise(bounds))


ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(KEYS),
        "kind": st.sampled_from(["a", "", "é"]),
        "ts": st.sampled_from(TIMES),
        "v": st.floats(allow_nan=True, allow_infinity=True),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(ROW, min_size=1, max_size=40),
    order=st.sampled_from(ORDERS),
    cuts=st.lists(st.integers(0, 40), max_size=4),
)
def test_the_last_duplicate_wins_in_any_order_and_chunking(
    engine: DuckDBEngine, rows: list[dict[str, Any]], order: str, cuts: list[int]
) -> None:
    rows = ordered(rows, order)
    prepared = prepare_batch(SPEC, chunked(rows, cuts), engine)
    expected = last_wins(rows)
    got = prepared.table.to_pylist()
    assert [(r["id"], r["kind"], r["ts"]) for r in got] == [
        (r["id"], r["kind"], r["ts"]) for r in expected
    ]
    # NaN compared as a value (the engine's rewrite of a batch may turn -0.0 into 0.0)
    assert [nan_as_text(r["v"]) for r in got] == [nan_as_text(r["v"]) for r in expected]
    assert prepared.duplicates_dropped == len(rows) - len(expected)


def test_duplicates_apart_within_a_run_of_equal_times_are_found(engine: DuckDBEngine) -> None:
    """Sorted by time, a duplicate need not sit beside its twin: a, b, a at one time."""
    rows = [{"id": i, "kind": "a", "ts": T0, "v": float(n)} for n, i in enumerate([1, 2, 1])]
    rows.append({"id": 1, "kind": "a", "ts": T0 + timedelta(microseconds=1), "v": 3.0})
    prepared = prepare_batch(SPEC, rows, engine)
    assert prepared.table.column("v").to_pylist() == [1.0, 2.0, 3.0]
    assert prepared.duplicates_dropped == 1


def test_a_large_sorted_batch_with_one_duplicate_across_chunks(engine: DuckDBEngine) -> None:
    n = 200_000
    ids = np.arange(n, dtype=np.int64)
    ids[100_000] = ids[99_999]  # the same id at the same time, one chunk each
    micros = np.arange(n, dtype=np.int64) * 1_000 + 1_767_225_600_000_000
    micros[100_000] = micros[99_999]
    table = pa.table(
        {
            "id": ids,
            "kind": pa.array(["a"] * n),
            "ts": pa.array(micros, pa.timestamp("us", tz="UTC")),
            "v": np.arange(n, dtype=np.float64),
        }
    )
    table = pa.concat_tables([table.slice(0, 100_000), table.slice(100_000)])
    prepared = prepare_batch(SPEC, table, engine)
    assert prepared.duplicates_dropped == 1
    assert prepared.table.num_rows == n - 1
    assert 99_999.0 not in prepared.table.column("v").to_pylist()[99_990:100_010]
    assert prepared.table.column("v")[99_999].as_py() == 100_000.0


def test_numpy_scalars_are_keys_like_any_other(engine: DuckDBEngine) -> None:
    rows = [
        {"id": np.int64(7), "kind": "a", "ts": T0, "v": np.float64(1.0)},
        {"id": np.int64(7), "kind": "a", "ts": T0, "v": np.float64(2.0)},
        {"id": np.int64(8), "kind": "a", "ts": T0, "v": np.float64(3.0)},
    ]
    prepared = prepare_batch(SPEC, rows, engine)
    assert prepared.table.column("v").to_pylist() == [2.0, 3.0]
    assert prepared.duplicates_dropped == 1


def test_null_keys_are_still_refused(engine: DuckDBEngine) -> None:
    rows = [{"id": 1, "kind": "a", "ts": T0}, {"id": None, "kind": "a", "ts": T0}] * 2
    with pytest.raises(DataError, match="null"):
        prepare_batch(SPEC, rows, engine)
