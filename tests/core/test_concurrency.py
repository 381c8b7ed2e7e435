"""Concurrent writers: several processes insert into one feature group at the same time.

Writers are spawned processes (``tests/workers/concurrent.py``) released together by a
barrier. Afterwards no row is lost or duplicated offline, every insert is one Delta
commit, the online store holds the latest row of every key, and the online watermark
is the table's latest version. Each wait is bounded, so a hang fails.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import featurehouse as fh
from featurehouse.catalog.records import FEATURE_GROUP
from tests.workers import Child
from tests.workers.concurrent import insert_batches

NAME = "events"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BATCHES = 10
BARRIER_TIMEOUT = 60.0  # every writer must have connected and loaded its data by then
RUN_TIMEOUT = 120.0

Sent = dict[tuple[int, datetime], tuple[float, int]]  # (id, ts) -> (a, writer)


def batch(ids: Any, ts: datetime, a: float, writer: int) -> pa.Table:
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    return pa.table(
        {
            "id": pa.array(ids),
            "ts": pa.array([ts] * n, pa.timestamp("us", tz="UTC")),
            "a": pa.array(ids * 0.001 + a),
            "writer": pa.array([writer] * n, pa.int32()),
        }
    )


def run_writers(home: Path, tmp: Path, plans: list[list[pa.Table]]) -> list[list[int]]:
    """Run one spawned process per plan, all released at once; each inserts its batches
    in order. Returns the Delta version of every insert, per writer."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plans), timeout=BARRIER_TIMEOUT)
    procs, outs = [], []
    for w, batches in enumerate(plans):
        paths = []
        for i, b in enumerate(batches):
            paths.append(str(tmp / f"writer{w}-{i}.parquet"))
            pq.write_table(b, paths[-1])
        outs.append(tmp / f"writer{w}.json")
        proc = ctx.Process(
            target=insert_batches, args=(str(home), NAME, paths, barrier, str(outs[-1]))
        )
        proc.start()
        procs.append(proc)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        for proc in procs:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
        hung = [p.pid for p in procs if p.is_alive()]
        assert not hung, f"writer(s) {hung} did not finish in {RUN_TIMEOUT}s"
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()  # only the processes started here, by their own handle
                proc.join(timeout=10)
    reports = [json.loads(out.read_text()) if out.exists() else {} for out in outs]
    for w, (proc, report) in enumerate(zip(procs, reports, strict=True)):
        assert proc.exitcode == 0, f"writer {w} failed ({proc.exitcode}): {report.get('error')}"
    print(f"versions per writer: {[r['versions'] for r in reports]}")
    print(f"commit attempts per writer: {[r['attempts'] for r in reports]}")
    return [report["versions"] for report in reports]


def sent_rows(plans: list[list[pa.Table]]) -> Sent:
    sent: Sent = {}
    for plan in plans:
        for b in plan:
            for id_, ts, a, w in zip(*(b[c].to_pylist() for c in b.column_names), strict=True):
                assert (id_, ts) not in sent, "the test sends every (id, ts) once"
                sent[(id_, ts)] = (a, w)
    return sent


def online_version(fs: fh.FeatureStore) -> int:
    return int(fs._services.catalog.get(FEATURE_GROUP, NAME, 1).body["online_version"])


def check_outcome(
    fs: fh.FeatureStore, plans: list[list[pa.Table]], versions: list[list[int]], before: Sent
) -> None:
    fg = fs.get_feature_group(NAME, 1)
    sent = {**before, **sent_rows(plans)}

    # Offline: every row sent is there exactly once, with its values; nothing else is.
    table = fg.read().to_arrow()
    stored = list(zip(*(table[c].to_pylist() for c in ("id", "ts", "a", "writer")), strict=True))
    pairs = [(id_, ts) for id_, ts, _, _ in stored]
    assert len(set(pairs)) == len(pairs), f"{len(pairs) - len(set(pairs))} duplicate rows offline"
    missing = sent.keys() - set(pairs)
    assert not missing, f"{len(missing)} row(s) lost, e.g. {sorted(missing)[:5]}"
    assert len(pairs) == len(sent)
    assert {(id_, ts): (a, w) for id_, ts, a, w in stored} == sent

    # History: one commit per insert, at the versions the writers were told.
    commits = fg.commits()
    assert [c.version for c in commits] == list(range(len(commits)))
    inserts = [c.version for c in commits if c.operation == "insert"]
    told = sorted(v for writer in versions for v in writer)
    assert len(told) == sum(len(plan) for plan in plans)
    assert told == inserts[len(inserts) - len(told) :], (told, inserts)
    for plan, writer_versions in zip(plans, versions, strict=True):
        assert writer_versions == sorted(writer_versions), versions
        for b, v in zip(plan, writer_versions, strict=True):
            # Every (id, ts) is new: each commit inserted its whole batch.
            assert (commits[v].rows_inserted, commits[v].rows_updated) == (b.num_rows, 0)

    # Online: the row with the greatest event time of every key; the watermark is current.
    latest: dict[int, tuple[datetime, float, int]] = {}
    for (id_, ts), (a, w) in sent.items():
        if id_ not in latest or ts > latest[id_][0]:
            latest[id_] = (ts, a, w)
    keys = sorted(latest)
    online = fg.get_online([{"id": k} for k in keys])
    wrong = [
        (k, latest[k], row and (row["ts"], row["a"], row["writer"]))
        for k, row in zip(keys, online, strict=True)
        if row is None or (row["ts"], row["a"], row["writer"]) != latest[k]
    ]
    assert not wrong, f"{len(wrong)} key(s) wrong online, e.g. {wrong[:5]}"
    assert online_version(fs) == commits[-1].version
    assert fg.sync_online() == 0  # nothing was left behind to replay


def test_concurrent_writers_of_disjoint_keys(
    home: Path, fs: fh.FeatureStore, tmp_path: Path
) -> None:
    """Three writers, ten inserts each, disjoint keys, into a group that has no data yet:
    they also race to create its table and record its schema."""
    fs.create_feature_group(NAME, version=1, primary_key=["id"], event_time="ts", online=True)
    plans = [
        # Writer w's batch i: keys [i*150, i*150+300) of its own range, one hour later than
        # batch i-1, so half of its keys get a newer row than the one batch i-1 gave them.
        [
            batch(
                range(w * 100_000 + i * 150, w * 100_000 + i * 150 + 300),
                T0 + timedelta(hours=i),
                i,
                w,
            )
            for i in range(BATCHES)
        ]
        for w in range(3)
    ]
    versions = run_writers(home, tmp_path, plans)
    check_outcome(fs, plans, versions, before={})


def test_concurrent_writers_of_overlapping_keys(
    home: Path, fs: fh.FeatureStore, tmp_path: Path
) -> None:
    """Two writers upsert the same 400 keys with distinct event times: writer 0 moves
    forward in time, writer 1 backward (its later batches hold late rows)."""
    fg = fs.create_feature_group(NAME, version=1, primary_key=["id"], event_time="ts", online=True)
    seed = batch(range(400), T0 - timedelta(days=1), 0.0, -1)
    fg.insert(seed)
    rng = np.random.default_rng(7)
    plans = [
        [
            batch(
                np.sort(rng.choice(400, size=300, replace=False)),
                T0 + timedelta(minutes=2 * (i if w == 0 else BATCHES - 1 - i) + w),
                i,
                w,
            )
            for i in range(BATCHES)
        ]
        for w in range(2)
    ]
    versions = run_writers(home, tmp_path, plans)
    check_outcome(fs, plans, versions, before=sent_rows([[seed]]))


def test_slow_writer_does_not_undo_a_newer_correction(
    home: Path, fs: fh.FeatureStore, tmp_path: Path
) -> None:
    """A writer commits row (k, t) and is slow to write it online; meanwhile another writer
    corrects (k, t) and syncs (replaying the first commit, then its own). The slow writer's
    late online write must not bring back the value that the correction replaced."""
    fg = fs.create_feature_group(NAME, version=1, primary_key=["id"], event_time="ts", online=True)
    fg.insert(batch(range(10), T0, 0.0, -1))
    first = batch(range(10), T0 + timedelta(hours=1), 1.0, 0)
    release = tmp_path / "release"
    slow = Child(tmp_path, home, NAME, first, f"--pause-before-online={release}")
    try:
        assert slow.wait_for("paused"), f"{slow.seen} {slow.stderr()}"
        correction = batch(range(10), T0 + timedelta(hours=1), 2.0, 1)
        result = fg.insert(correction)
        assert result.rows_updated == 10
    finally:
        release.touch()
    assert slow.wait() == 0, slow.stderr()
    assert slow.seen[-1] == f"done {result.version - 1}"

    stored = fg.read(start=T0 + timedelta(hours=1)).to_arrow()
    assert sorted(stored["writer"].to_pylist()) == [1] * 10  # offline: the correction
    assert online_version(fs) == result.version
    online = fg.get_online([{"id": k} for k in range(10)])
    assert [r and (r["ts"], r["writer"]) for r in online] == [(T0 + timedelta(hours=1), 1)] * 10
