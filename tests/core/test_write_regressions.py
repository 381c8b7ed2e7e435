"""Regressions of the write path (issue 11): corrections at sub-millisecond times, keys that
no store can look up, repeated key columns, racing schema growth, lossy casts, statistics of
non-finite values."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.engine.duckdb import DuckDBEngine
from featurehouse.errors import DataError, SchemaError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INF = float("inf")
NAN = float("nan")


def rows_of(fg: fh.FeatureGroup) -> list[tuple[Any, ...]]:
    table = fg.read().to_arrow()
    return sorted(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))


# -- 1: a correction at a sub-millisecond event time replaces the stored row ------------

MICROSECOND_TIMES = [
    T0.replace(microsecond=123_456),
    datetime(1, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
    datetime(1900, 3, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(4254, 1, 1, 0, 0, 0, 1_001, tzinfo=UTC),  # delta-rs does not always widen
    datetime(6536, 12, 31, 23, 59, 59, 2_001, tzinfo=UTC),  # its millisecond statistics
    datetime(7000, 6, 1, 0, 0, 0, 2_001, tzinfo=UTC),  # from 2**56 µs (May 4253) on
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


@pytest.mark.parametrize("ts", MICROSECOND_TIMES, ids=str)
def test_a_correction_at_a_microsecond_time_is_an_update(fs: fh.FeatureStore, ts: datetime) -> None:
    fg = fs.create_feature_group("g", primary_key=["id"], event_time="ts", online=True)
    fg.insert([{"id": 1, "ts": ts, "v": 1}])
    result = fg.insert([{"id": 1, "ts": ts, "v": 2}])
    assert (result.rows_inserted, result.rows_updated) == (0, 1)
    assert rows_of(fg) == [(1, ts, 2)]
    assert fg.read(start=ts).num_rows == 1
    fg.sync_online(rebuild=True)
    assert fg.get_online({"id": 1}) == {"id": 1, "ts": ts, "v": 2}


def test_a_correction_beside_a_newer_microsecond_row_is_an_update(fs: fh.FeatureStore) -> None:
    """The batch's earliest time lies within the millisecond of the stored maximum (the
    merge path, with the batch's time bounds in its predicate)."""
    fg = fs.create_feature_group("g", primary_key=["id"], event_time="ts")
    early, late = T0.replace(microsecond=123_456), T0.replace(microsecond=123_789)
    fg.insert([{"id": 1, "ts": early, "v": 1}])
    result = fg.insert([{"id": 1, "ts": early, "v": 2}, {"id": 2, "ts": late, "v": 3}])
    assert (result.rows_inserted, result.rows_updated) == (1, 1)
    assert rows_of(fg) == [(1, early, 2), (2, late, 3)]


# -- 2: null, NaN and infinite float keys are refused before anything is written -------


@pytest.mark.parametrize("key", [NAN, INF, -INF, None], ids=repr)
def test_a_float_key_no_store_can_look_up_is_refused(fs: fh.FeatureStore, key: Any) -> None:
    fg = fs.create_feature_group("g", primary_key=["k"], event_time="ts", online=True)
    fg.insert([{"k": 1.5, "ts": T0, "v": 1}])
    before = fg.commits()
    with pytest.raises(DataError) as info:
        fg.insert([{"k": 2.5, "ts": T0, "v": 2}, {"k": key, "ts": T0, "v": 3}])
    assert info.value.column == "k" and "'k'" in str(info.value)
    assert fg.commits() == before
    with pytest.raises(DataError, match="'k'"):
        fg.delete([{"k": key}])
    result = fg.insert([{"k": 2.5, "ts": T0, "v": 2}])  # the group still takes writes
    assert result.online_rows_written == 1 and fg.get_online({"k": 2.5})["v"] == 2


# -- 3: a repeated primary-key column is refused at create time --------------------------


def test_a_repeated_primary_key_column_is_refused(fs: fh.FeatureStore) -> None:
    with pytest.raises(SchemaError) as info:
        fs.create_feature_group("g", primary_key=["k", "k"], event_time="ts")
    assert info.value.column == "k" and "'k'" in str(info.value)
    assert fs.list_feature_groups() == []


# -- 7: two writers adding one new column with different types ---------------------------


RACING_VALUES = (5, "five")  # the same new column, as int64 by one writer, string by the other


def race_to_add(stores: list[fh.FeatureStore], round_: int) -> dict[int, Any]:
    """Two threads, each with its own connection, add column ``x<round_>`` at once; what
    each insert returned ("ok") or raised."""
    column = f"x{round_}"
    earlier = {f"x{i}": None for i in range(round_)}  # the columns earlier rounds added
    barrier = threading.Barrier(2)
    outcomes: dict[int, Any] = {}

    def write(i: int) -> None:
        group = stores[i].get_feature_group("g")
        row = {"id": i + 1, "ts": T0 + timedelta(hours=round_), "v": 1, **earlier}
        barrier.wait()
        try:
            group.insert([{**row, column: RACING_VALUES[i]}])
            outcomes[i] = "ok"
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_racing_writers_adding_a_column_with_different_types(home: Path) -> None:
    """One writer must win and the other get a SchemaError; the stored values keep their
    type, in the table and the catalog. Before the fix, most rounds stored both (``5`` as
    ``'5'``) or failed with a raw Delta cast error."""
    with fh.connect(home) as fs:
        fs.create_feature_group("g", primary_key=["id"], event_time="ts").insert(
            [{"id": 0, "ts": T0, "v": 0}]
        )
    stores = [fh.connect(home), fh.connect(home)]
    try:
        for round_ in range(6):
            outcomes = race_to_add(stores, round_)
            winners = [i for i, outcome in outcomes.items() if outcome == "ok"]
            assert len(winners) == 1, outcomes
            loser = outcomes[1 - winners[0]]
            column = f"x{round_}"
            assert isinstance(loser, SchemaError) and loser.column == column, loser
            group = stores[0].get_feature_group("g")
            table = group.read().to_arrow()
            stored = [v for v in table.column(column).to_pylist() if v is not None]
            assert stored == [RACING_VALUES[winners[0]]]
            assert group.schema is not None
            assert group.schema.field(column).type == table.schema.field(column).type
    finally:
        for store in stores:
            store.close()


# -- 9: only lossless casts are implicit -------------------------------------------------

LOSSY = {
    "float64 beyond float32": ("x32", pa.array([1e300]), "1e+300"),
    "float64 rounded in float32": ("x32", pa.array([16777217.0]), "16777217"),
    "float64 with more digits than float32": ("x32", pa.array([0.1]), "0.1"),
    "int64 beyond int32": ("i32", pa.array([2**31]), "2147483648"),
    "int64 rounded in float64": ("x64", pa.array([2**53 + 1]), "9007199254740993"),
    "int64 rounded in float32": ("x32", pa.array([16777217]), "16777217"),
}


@pytest.fixture
def typed(fs: fh.FeatureStore) -> fh.FeatureGroup:
    types = {"id": pa.int64(), "ts": pa.timestamp("us", tz="UTC"), "x32": pa.float32()}
    schema = pa.schema({**types, "x64": pa.float64(), "i32": pa.int32()})
    return fs.create_feature_group("typed", primary_key=["id"], event_time="ts", schema=schema)


def typed_batch(**columns: pa.Array) -> pa.Table:
    base = {
        "id": pa.array([1]),
        "ts": pa.array([T0]),
        "x32": pa.array([0.5], pa.float32()),
        "x64": pa.array([0.5]),
        "i32": pa.array([1], pa.int32()),
    }
    return pa.table({**base, **columns})


@pytest.mark.parametrize("case", LOSSY)
def test_a_lossy_cast_is_refused(typed: fh.FeatureGroup, case: str) -> None:
    column, values, shown = LOSSY[case]
    with pytest.raises(SchemaError) as info:
        typed.insert(typed_batch(**{column: values}))
    assert info.value.column == column and shown in str(info.value)
    assert typed.read().num_rows == 0


def test_lossless_casts_are_implicit(typed: fh.FeatureGroup) -> None:
    typed.insert(
        typed_batch(
            x32=pa.array([16777216.0]),  # float64, exact in float32
            x64=pa.array([2**53], pa.int64()),
            i32=pa.array([-(2**31)], pa.int64()),
        )
    )
    typed.insert(typed_batch(id=pa.array([2]), x32=pa.array([NAN]), x64=pa.array([-INF])))
    table = typed.read().to_arrow().sort_by("id")
    assert table.column("x32").type == pa.float32()
    assert table.column("x32")[0].as_py() == 16777216.0
    assert table.column("x64")[0].as_py() == 2.0**53 and table.column("x64")[1].as_py() == -INF
    assert table.column("i32")[0].as_py() == -(2**31)


# -- 10: statistics of NaN and ±inf; nothing raises after a commit -----------------------


@pytest.mark.parametrize("values", [[1.0, -INF], [INF, INF], [NAN, 2.0, INF, -INF, None]], ids=str)
def test_non_finite_values_commit_and_describe(fs: fh.FeatureStore, values: list[Any]) -> None:
    fg = fs.create_feature_group("g", primary_key=["id"], event_time="ts")
    rows = [{"id": i, "ts": T0, "v": v} for i, v in enumerate(values)]
    version = fg.insert(rows).version
    finite = [v for v in values if v is not None and abs(v) < INF]
    for stats in (fg.statistics(commit=version), fg.statistics()):
        v = stats["v"]
        assert v["infinite"] == sum(1 for x in values if x in (INF, -INF))
        assert v["nans"] == sum(1 for x in values if x is not None and x != x)
        assert (v["min"], v["max"]) == (min(finite, default=None), max(finite, default=None))
        assert sum(v["histogram"]["counts"]) == len(finite)
    view = fs.create_feature_view("view", query=fg.select_all())
    td = view.create_training_dataset()
    assert td.split_statistics("train")["v"]["infinite"] == v["infinite"]


def test_a_statistics_failure_after_the_commit_is_logged_not_raised(
    fs: fh.FeatureStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("statistics broke")

    fg = fs.create_feature_group("g", primary_key=["id"], event_time="ts")
    monkeypatch.setattr(DuckDBEngine, "statistics", broken)  # no real input fails any more
    with caplog.at_level(logging.WARNING, logger="featurehouse.statistics"):
        result = fg.insert([{"id": 1, "ts": T0, "v": 1.0}])
    assert result.rows_inserted == 1 and fg.read().num_rows == 1
    assert "statistics of version 1 could not be kept" in caplog.text
