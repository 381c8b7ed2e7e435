"""The Delta offline store numbers commits right while other writers commit."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
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
    assert [c["version"] for c in history] == [3, 2, 1, 0]
    assert [c["operation"] for c in history][-1] == "CREATE TABLE"


def test_each_commit_reports_the_version_it_made(tmp_path: Path) -> None:
    store = DeltaOfflineStore(str(tmp_path))
    store.create("t", ROWS.schema, change_feed=False)
    versions = [store.append(store.open("t"), ROWS, {"fh.operation": "insert"})]
    table = store.open("t")
    write_deltalake(DeltaTable(store.uri("t")), ROWS, mode="append")  # another writer: v2
    table.update_incremental()
    versions.append(store.upsert(table, ROWS, ["id"], {"fh.operation": "insert"}, prune={})[0])
    versions.append(store.delete_where(store.open("t"), "id = 1", {"fh.operation": "delete"})[0])
    nothing = store.delete_where(store.open("t"), "id = 99", {"fh.operation": "delete"})[0]
    assert versions == [1, 3, 4]
    assert nothing == DeltaTable(store.uri("t")).version()
    recorded = {c["version"]: c.get("fh.operation") for c in store.history(store.open("t"))}
    assert [recorded[v] for v in versions] == ["insert", "insert", "delete"]
