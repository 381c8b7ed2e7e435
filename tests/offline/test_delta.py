"""The Delta offline store numbers commits right while other writers commit, and finds
sub-millisecond times that Delta's millisecond statistics hide."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from deltalake import DeltaTable, write_deltalake

from featurehouse.offline.delta import DeltaOfflineStore

ROWS = pa.table({"id": pa.array([1, 2], pa.int64())})


def test_history_of_a_stale_table_numbers_commits_by_their_log_file(tmp_path: Path) -> None:
    """deltalake numbers its listing down from the version a table object loaded; commits
    made since by another writer must not shift the numbers."""
    store = DeltaOfflineStore(str(tmp_path))
    store.create("t", ROWS.schema, change_feed=False)
    stale = store.open("t")
    other = DeltaTable(store.uri("t"))
    for _ in range(3):
        write_deltalake(other, ROWS, mode="append")
    history = store.history(stale)
    assert [c.version for c in history] == [3, 2, 1, 0]
    assert [c.operation for c in history][-1] == "create table"


def test_each_commit_reports_the_version_it_made(tmp_path: Path) -> None:
    store = DeltaOfflineStore(str(tmp_path))
    store.create("t", ROWS.schema, change_feed=False)
    versions = [store.append(store.open("t"), ROWS, "insert")]
    table = store.open("t")
    write_deltalake(DeltaTable(store.uri("t")), ROWS, mode="append")  # another writer: v2
    table.delta.update_incremental()
    versions.append(store.upsert(table, ROWS, ["id"], "id", "insert").version)
    versions.append(store.delete_where(store.open("t"), "id = 1", "delete").version)
    nothing = store.delete_where(store.open("t"), "id = 99", "delete").version
    assert versions == [1, 3, 4]
    assert nothing == DeltaTable(store.uri("t")).version()
    recorded = {c.version: c.operation for c in store.history(store.open("t"))}
    assert [recorded[v] for v in versions] == ["insert", "insert", "delete"]


# Sub-millisecond times, where Delta's statistics (kept to the millisecond) fall below the
# true maximum: around today, and after May 4253 (2**56 µs), where delta-rs does not
# always widen them.
SUB_MILLISECOND = [
    datetime(2026, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC),
    datetime(4254, 1, 1, 0, 0, 0, 1_001, tzinfo=UTC),
    datetime(5199, 3, 28, 0, 29, 42, 197_001, tzinfo=UTC),
    datetime(6536, 12, 31, 23, 59, 59, 2_001, tzinfo=UTC),
    datetime(7000, 6, 1, 0, 0, 0, 2_001, tzinfo=UTC),
]


def timed(ts: datetime, value: int) -> pa.Table:
    return pa.table({"id": [1], "ts": pa.array([ts], pa.timestamp("us", tz="UTC")), "v": [value]})


@pytest.mark.parametrize("ts", SUB_MILLISECOND, ids=str)
def test_a_filtered_scan_finds_a_sub_millisecond_time(tmp_path: Path, ts: datetime) -> None:
    store = DeltaOfflineStore(str(tmp_path))
    store.create("t", timed(ts, 1).schema, change_feed=False)
    store.append(store.open("t"), timed(ts, 1), "insert")
    scalar = pa.scalar(ts, pa.timestamp("us", tz="UTC"))
    found = store.dataset(store.open("t")).to_table(filter=ds.field("ts") >= scalar)
    assert found.num_rows == 1


@pytest.mark.parametrize("ts", SUB_MILLISECOND, ids=str)
def test_an_upsert_with_time_bounds_matches_a_sub_millisecond_time(
    tmp_path: Path, ts: datetime
) -> None:
    store = DeltaOfflineStore(str(tmp_path))
    store.create("t", timed(ts, 1).schema, change_feed=False)
    store.append(store.open("t"), timed(ts, 1), "insert")
    written = store.upsert(store.open("t"), timed(ts, 2), ["id", "ts"], "ts", "insert")
    assert (written.rows_updated, written.rows_inserted) == (1, 0)
    assert DeltaTable(store.uri("t")).to_pyarrow_table().column("v").to_pylist() == [2]
