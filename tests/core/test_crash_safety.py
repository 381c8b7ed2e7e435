"""Crash safety: a writer killed with SIGKILL never leaves half a batch, and the online
store catches up with the offline store (the source of truth) on the next write or on
``sync_online()``.

Every crash is a real ``SIGKILL`` of a child process (``tests/workers/insert.py``); the
last test makes the online writes fail instead, which the design repairs the same way.
Each wait is bounded, so a hang fails.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import featurehouse as fh
from featurehouse.catalog.records import FEATURE_GROUP
from featurehouse.errors import BackendError
from tests.workers import Child

NAME = "tx"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BIG_BATCH = 1_000_000


# -- helpers ------------------------------------------------------------------------


def rows(ids: Any, ts: datetime | list[datetime], a: Any = None) -> pa.Table:
    """A batch of (id, ts, a, b); ``a`` defaults to a value derived from the id."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    if isinstance(ts, datetime):
        ts = [ts]
    stamps = pa.array(ts * n if len(ts) == 1 else ts, pa.timestamp("us", tz="UTC"))
    values = ids * 0.5 if a is None else np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))
    return pa.table(
        {
            "id": pa.array(ids),
            "ts": stamps,
            "a": pa.array(values, pa.float64()),
            "b": pa.array(ids * 2),
        }
    )


def big_batch(start: int, n: int, ts: datetime) -> pa.Table:
    ids = np.arange(start, start + n, dtype=np.int64)
    us = np.int64((ts - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    return pa.table(
        {
            "id": pa.array(ids),
            "ts": pa.array(us + ids % 3600 * 1_000_000, pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "a": pa.array(np.random.default_rng(start).random(n)),
            "b": pa.array(ids * 2),
        }
    )


def online_version(fs: fh.FeatureStore) -> int:
    return int(fs._services.catalog.get(FEATURE_GROUP, NAME, 1).body["online_version"])


def offline_rows(fg: fh.FeatureGroup) -> dict[tuple[int, datetime], float]:
    table = fg.read().to_arrow()
    pairs = zip(table["id"].to_pylist(), table["ts"].to_pylist(), strict=True)
    result = dict(zip(pairs, table["a"].to_pylist(), strict=True))
    assert len(result) == table.num_rows, "duplicate (id, ts) rows offline"
    return result


def assert_online_is_latest_offline(fg: fh.FeatureGroup) -> None:
    """Every key's online row is its offline row with the greatest event time."""
    latest: dict[int, tuple[datetime, float]] = {}
    for (key, ts), a in offline_rows(fg).items():
        if key not in latest or ts > latest[key][0]:
            latest[key] = (ts, a)
    keys = sorted(latest)
    online = fg.get_online([{"id": k} for k in keys])
    wrong = [
        (k, latest[k], None if row is None else (row["ts"], row["a"]))
        for k, row in zip(keys, online, strict=True)
        if row is None or (row["ts"], row["a"]) != latest[k]
    ]
    assert not wrong, f"{len(wrong)} key(s) online differ from offline, e.g. {wrong[:5]}"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, fh.FeatureStore, fh.FeatureGroup]]:
    """A project whose online group ``tx`` has a first committed version: ids 0..999 at T0."""
    home = tmp_path / "project"
    fs = fh.connect(home)
    fg = fs.create_feature_group(NAME, version=1, primary_key=["id"], event_time="ts", online=True)
    fg.insert(rows(range(1000), T0))
    yield home, fs, fg
    fs.close()


# -- 1. SIGKILL at random moments of a large insert -----------------------------------

# When to kill: a random delay after the child printed a marker. "ready" comes just
# before fg.insert, "phase offline" as the Delta write (a merge) starts, "phase online" as
# the online write starts, after the Delta commit. So the kills land while the batch is
# prepared, in the middle of the Delta write or around its commit, and in the middle of
# the online write (the SQLite transaction is rolled back; the offline commit stays).
KILL_PLAN = [
    ("ready", 0.0, 0.3),
    ("phase offline", 0.0, 0.5),
    ("phase offline", 0.3, 1.5),
    ("phase online", 0.0, 1.0),
]


def test_sigkill_mid_insert_commits_all_or_nothing(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup], tmp_path: Path
) -> None:
    home, fs, _ = project
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    outcomes = []
    for attempt, (marker, low, high) in enumerate(KILL_PLAN):
        # Each attempt reopens the project, as a restarted process would after a crash.
        fs.close()
        fs = fh.connect(home)
        fg = fs.get_feature_group(NAME, 1)
        before = fg.read(columns=["id"]).to_arrow().num_rows
        latest_before = fg.commits()[-1].version

        # A million new rows, plus a correction of stored row (attempt, T0): the batch
        # takes the merge path, whose commit both updates and inserts.
        start = (attempt + 1) * 10_000_000
        batch = pa.concat_tables(
            [
                big_batch(start, BIG_BATCH, T0 + timedelta(days=1)),
                rows([attempt], T0, -1.0 - attempt),
            ]
        )
        child = Child(tmp_path, home, NAME, batch)
        delay = rng.uniform(low, high)
        if child.wait_for("ready") and child.wait_for(marker):
            time.sleep(delay)
        child.kill()
        code = child.wait()
        assert code in (0, -signal.SIGKILL), f"child failed ({code}): {child.stderr()}"
        label = (
            f"attempt {attempt} (seed {seed}, kill {delay:.2f}s after {marker!r}, saw {child.seen})"
        )

        # The table opens and reads: all of the batch or none of it, never a part.
        table = fg.read(columns=["id", "ts", "a"]).to_arrow()
        committed = table.num_rows == before + BIG_BATCH
        assert table.num_rows in (before, before + BIG_BATCH), label
        new_rows = pc.sum(pc.greater_equal(table["id"], start)).as_py() or 0
        assert new_rows == (BIG_BATCH if committed else 0), label
        corrected = table.filter(pc.equal(table["id"], attempt))["a"].to_pylist()
        assert corrected == [-1.0 - attempt if committed else attempt * 0.5], label

        # History works, and holds the child's commit exactly when its rows are there.
        commits = fg.commits()
        assert [c.version for c in commits] == list(range(len(commits))), label
        assert commits[-1].version == latest_before + committed, label
        if committed:
            assert commits[-1].operation == "insert", label
            assert commits[-1].rows_inserted == BIG_BATCH, label
            assert commits[-1].rows_updated == 1, label
        outcomes.append((code, committed, child.seen[-1] if child.seen else None))

        # The next insert succeeds, and leaves the online store complete again.
        extra = rows(
            range(5_000_000 + attempt * 100, 5_000_000 + attempt * 100 + 100),
            T0 + timedelta(days=2),
        )
        result = fg.insert(extra)
        assert result.version == latest_before + committed + 1, label
        assert result.rows_inserted == 100, label
        assert fg.read(columns=["id"]).to_arrow().num_rows == table.num_rows + 100, label
        assert online_version(fs) == result.version, label
        probe = fg.get_online([{"id": start}, {"id": start + BIG_BATCH - 1}, {"id": attempt}])
        if committed:
            assert probe[0] is not None, label
            assert probe[1] is not None, label
            assert probe[2] is not None and probe[2]["a"] == -1.0 - attempt, label
        else:
            assert probe[:2] == [None, None], label
            assert probe[2] is not None and probe[2]["a"] == attempt * 0.5, label
        assert fg.get_online({"id": int(extra["id"][0].as_py())}) is not None, label
    fs.close()
    print(f"kill outcomes (exit code, committed, last marker), seed {seed}: {outcomes}")


# -- 2. SIGKILL between the offline commit and the online write ------------------------


def kill_before_online(tmp_path: Path, home: Path, fs: fh.FeatureStore) -> int:
    """Stage newer online rows, then let a child commit a batch offline and die before its
    online write. Returns the Delta version the child committed."""
    fg = fs.get_feature_group(NAME, 1)
    # Keys 0..9 get newer rows at T0+1d (online now holds those).
    fg.insert(rows(range(10), T0 + timedelta(days=1), 100.0))
    watermark = online_version(fs)
    # The child's batch: 100 new keys, a correction of (0, T0) and a row of key 1 older
    # than everything; both are late for the online store, which holds T0+1d for them.
    batch = pa.concat_tables(
        [
            rows(range(2000, 2100), T0 + timedelta(hours=12)),
            rows([0], T0, -5.0),
            rows([1], T0 - timedelta(days=30), -6.0),
        ]
    )
    child = Child(tmp_path, home, NAME, batch, "--die-before-online")
    assert child.wait_for("ready")
    code = child.wait()
    assert code == -signal.SIGKILL, f"child was not killed ({code}): {child.seen} {child.stderr()}"
    assert "done" not in " ".join(child.seen)

    fg = fs.get_feature_group(NAME, 1)
    commits = fg.commits()
    version = commits[-1].version
    assert version == watermark + 1
    assert commits[-1].operation == "insert"
    # Offline has the rows; the watermark and the online store do not.
    stored = offline_rows(fg)
    assert stored[(0, T0)] == -5.0
    assert stored[(1, T0 - timedelta(days=30))] == -6.0
    assert all((k, T0 + timedelta(hours=12)) in stored for k in range(2000, 2100))
    assert online_version(fs) == watermark
    assert fg.get_online([{"id": 2000}, {"id": 2099}]) == [None, None]
    row = fg.get_online({"id": 0})
    assert row is not None and row["a"] == 100.0
    return version


def assert_repaired(fs: fh.FeatureStore, fg: fh.FeatureGroup) -> None:
    assert online_version(fs) == fg.commits()[-1].version
    online = fg.get_online([{"id": k} for k in range(2000, 2100)])
    assert all(r is not None and r["ts"] == T0 + timedelta(hours=12) for r in online)
    assert [r["a"] for r in online if r] == [k * 0.5 for k in range(2000, 2100)]
    # The late rows went through the replay and did not overwrite the newer online rows.
    for key in (0, 1):
        row = fg.get_online({"id": key})
        assert row is not None
        assert (row["ts"], row["a"]) == (T0 + timedelta(days=1), 100.0), key
    assert_online_is_latest_offline(fg)


def test_kill_before_online_write_is_repaired_by_next_insert(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup], tmp_path: Path
) -> None:
    home, fs, _ = project
    version = kill_before_online(tmp_path, home, fs)
    fg = fs.get_feature_group(NAME, 1)
    result = fg.insert(rows(range(3000, 3010), T0 + timedelta(days=2)))
    assert result.version == version + 1
    # Its own 10 rows plus the 102 keys replayed from the killed child's commit.
    assert result.online_rows_written >= 10 + 102
    assert_repaired(fs, fg)
    assert all(r is not None for r in fg.get_online([{"id": k} for k in range(3000, 3010)]))


def test_kill_before_online_write_is_repaired_by_sync_online(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup], tmp_path: Path
) -> None:
    home, fs, _ = project
    version = kill_before_online(tmp_path, home, fs)
    # A fresh process, as after a restart: sync_online alone repairs the online store.
    fs.close()
    with fh.connect(home) as fresh:
        fg = fresh.get_feature_group(NAME, 1)
        assert fg.sync_online() >= 102
        assert fg.commits()[-1].version == version  # nothing new was committed
        assert_repaired(fresh, fg)
        assert fg.sync_online() == 0  # nothing left to replay


def test_replay_of_several_missed_corrections_keeps_the_last(
    project: tuple[Path, fh.FeatureStore, fh.FeatureGroup],
) -> None:
    """Several writes corrected the same (key, event time) rows, one after the other, and
    none reached the online store (its writes failed, which is repaired like a crash). The
    replay must leave the last correction online, as offline holds it."""
    _, fs, fg = project
    online = fs._services.online
    write_latest = online.write_latest

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise BackendError("online store down", obj="online store")

    corrections = [1.0, 2.0, 3.0, 4.0, 5.0]
    online.write_latest = fail  # type: ignore[method-assign]
    try:
        for value in corrections:
            with pytest.raises(BackendError):
                fg.insert(rows(range(1000), T0, value))
    finally:
        online.write_latest = write_latest  # type: ignore[method-assign]
    assert set(offline_rows(fg).values()) == {corrections[-1]}
    assert fg.sync_online() > 0
    values = sorted({r["a"] for r in fg.get_online([{"id": k} for k in range(1000)]) if r})
    assert values == [corrections[-1]], f"online holds {values}; offline {corrections[-1]}"
