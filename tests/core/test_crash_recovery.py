"""Crash recovery between the stores: a writer SIGKILLed between the offline commit, the
catalog and the online store loses nothing that was committed.

Every crash is a real SIGKILL of a child process (``tests/workers/crash.py``), either at
each step between two stores (a kill point) or at a random moment. After each kill the
stores open and read, the next operation (an insert, ``sync_online()``, a read, a new
training dataset) recovers, and then: the offline rows are what was committed, the
catalog's schema is the Delta table's, and the online rows are the latest offline rows.
"""

from __future__ import annotations

import math
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import featurehouse as fh
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core.recovery import table_schema
from featurehouse.core.training_dataset import table_id
from featurehouse.errors import NotFoundError, SchemaError
from tests.workers import ROOT
from tests.workers.crash import END, SPLITS, START

GROUP = "tx"
VIEW = "tx_view"
WAIT = 120.0  # seconds a child may take to start, write or exit on a slow CI machine
INSERT_POINTS = ["offline-commit", "catalog-schema", "online-write"]
DATASET_POINTS = ["split-table-1", "split-table-2", "split-statistics", "catalog-dataset"]


# -- data: the whole domain, not friendly values ---------------------------------------

EXTREME_IDS = [-(2**63), 2**63 - 1, 0, -1]
EXTREME_TIMES = [
    datetime(1901, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]
STRINGS = ["", "é", "日本語", "😀 x", "a\tb", "'; DROP TABLE x; --"]


def random_batch(rng: np.random.Generator, n: int, *, with_c: bool = False) -> pa.Table:
    """``n`` rows of distinct ids (extremes included) at random microsecond times between
    1901 and 2199; ``a`` holds NaN and extreme floats, ``b`` unicode and empty strings."""
    ids = set(EXTREME_IDS[: min(n, 4)])
    while len(ids) < n:
        ids.add(int(rng.integers(-(2**63), 2**63 - 1, dtype=np.int64)))
    span = int((EXTREME_TIMES[1] - EXTREME_TIMES[0]) / timedelta(microseconds=1))
    offsets = rng.integers(0, span, n, dtype=np.int64)
    times = [EXTREME_TIMES[0] + timedelta(microseconds=int(o)) for o in offsets]
    a = rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, n)
    a[rng.random(n) < 0.1] = np.nan
    columns: dict[str, Any] = {
        "id": pa.array(sorted(ids), pa.int64()),
        "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
        "a": pa.array(a, pa.float64()),
        "b": pa.array([STRINGS[i] for i in rng.integers(0, len(STRINGS), n)]),
    }
    if with_c:
        columns["c"] = pa.array(rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64))
    return pa.table(columns)


# -- children ----------------------------------------------------------------------------


class Worker:
    """``python -m tests.workers.crash <args>``, its output read by a thread."""

    def __init__(self, tmp: Path, *args: str) -> None:
        # stderr goes to a file: a pipe nobody reads could fill and block the child
        self.stderr_path = tmp / f"worker-{uuid.uuid4().hex[:8]}.stderr"
        with self.stderr_path.open("w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.workers.crash", *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_ready(self) -> None:
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"child printed nothing in {WAIT}s")
        if line != "ready":
            self.finish()
            pytest.fail(f"child did not get ready: {line!r}")

    def finish(self) -> int:
        """The exit code, once the child has ended (on its own or killed)."""
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"child did not exit in {WAIT}s")

    def stderr(self) -> str:
        return self.stderr_path.read_text()[-3000:]


def killed_at(tmp: Path, point: str, *args: str) -> None:
    """Run a child that SIGKILLs itself at ``point``; fail unless it died there."""
    worker = Worker(tmp, *args, point)
    worker.wait_ready()
    code = worker.finish()
    assert code == -signal.SIGKILL, f"child was not killed at {point} ({code}): {worker.stderr()}"


def killed_after(tmp: Path, delay: float, *args: str) -> bool:
    """Run a child, SIGKILL it ``delay`` seconds after it is ready; True if it finished
    first."""
    worker = Worker(tmp, *args)
    worker.wait_ready()
    time.sleep(delay)
    worker.proc.send_signal(signal.SIGKILL)
    code = worker.finish()
    assert code in (0, -signal.SIGKILL), f"child failed ({code}): {worker.stderr()}"
    return code == 0


def duration(tmp: Path, *args: str) -> float:
    """Seconds a child takes from ready to done, unkilled: the window to kill it in."""
    worker = Worker(tmp, *args)
    worker.wait_ready()
    start = time.monotonic()
    line = worker.lines.get(timeout=WAIT)
    elapsed = time.monotonic() - start
    assert line == "done" and worker.finish() == 0, f"child failed: {worker.stderr()}"
    return elapsed


def insert_args(home: Path, tmp_path: Path, batch: pa.Table) -> tuple[str, ...]:
    path = tmp_path / f"batch-{uuid.uuid4().hex[:8]}.parquet"
    pq.write_table(batch, path)
    return (str(home), "insert", GROUP, str(path))


# -- what must hold after a crash and the next operation -------------------------------


def same(x: Any, y: Any) -> bool:
    return x == y or (
        isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
    )


def same_row(x: dict[str, Any], y: dict[str, Any]) -> bool:
    return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)


def row_key(row: dict[str, Any]) -> tuple[int, datetime]:
    return row["id"], row["ts"]


def expected_rows(batches: list[pa.Table], columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``batches`` (no two share an (id, ts)) with every column, null where a
    batch lacks one, in (id, ts) order."""
    rows = [{c: row.get(c) for c in columns} for batch in batches for row in batch.to_pylist()]
    return sorted(rows, key=row_key)


def assert_recovered(home: Path, batches: list[pa.Table], columns: list[str], label: str) -> None:
    with fh.connect(home) as fs:
        fg = fs.get_feature_group(GROUP, 1)
        expected = expected_rows(batches, columns)
        # Offline: every committed row, with every column.
        offline = sorted(fg.read().to_arrow().to_pylist(), key=row_key)
        assert len(offline) == len(expected), label
        wrong = [(x, y) for x, y in zip(offline, expected, strict=True) if not same_row(x, y)]
        assert not wrong, f"{label}: offline rows differ, e.g. {wrong[:3]}"
        # The catalog's schema is the Delta table's.
        spec = FeatureGroupSpec.from_entry(fs._services.catalog.get(FEATURE_GROUP, GROUP, 1))
        delta = table_schema(fs._services.offline.open(spec.table_id))
        assert spec.schema is not None and spec.schema.equals(delta), (label, spec.schema, delta)
        assert spec.schema.names == columns, label
        # Online: the latest offline row of every key, with every column.
        latest: dict[int, dict[str, Any]] = {}
        for row in offline:
            if row["id"] not in latest or row["ts"] > latest[row["id"]]["ts"]:
                latest[row["id"]] = row
        keys = sorted(latest)
        online = fg.get_online([{"id": k} for k in keys])
        wrong = [
            (latest[k], row)
            for k, row in zip(keys, online, strict=True)
            if row is None or not same_row(dict(row), latest[k])
        ]
        assert not wrong, f"{label}: {len(wrong)} online row(s) differ, e.g. {wrong[:3]}"


def next_operation(home: Path, operation: str, batch: pa.Table) -> list[pa.Table]:
    """Run the first operation after a crash, in a fresh process's place; the batches it
    committed."""
    with fh.connect(home) as fs:
        fg = fs.get_feature_group(GROUP, 1)
        if operation == "insert":
            fg.insert(batch)
            return [batch]
        if operation == "read":
            fg.read()
        fg.sync_online()
    return []


# -- a group's first insert, and an insert that adds a column --------------------------


def new_group(home: Path, first: pa.Table | None) -> None:
    with fh.connect(home) as fs:
        fg = fs.create_feature_group(
            GROUP, version=1, primary_key=["id"], event_time="ts", online=True
        )
        if first is not None:
            fg.insert(first)


@pytest.mark.parametrize("operation", ["insert", "sync_online", "read"])
@pytest.mark.parametrize("point", INSERT_POINTS)
@pytest.mark.parametrize("scenario", ["first insert", "insert adding a column"])
def test_kill_between_stores_during_an_insert_loses_nothing_committed(
    scenario: str, point: str, operation: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = np.random.default_rng(seed)
    label = f"{scenario}, killed at {point}, then {operation} (seed {seed})"
    home = tmp_path / "project"
    adds_column = scenario == "insert adding a column"
    first = random_batch(rng, 30) if adds_column else None
    new_group(home, first)
    killed = random_batch(rng, 30, with_c=adds_column)
    killed_at(tmp_path, point, *insert_args(home, tmp_path, killed))

    landed = point != "offline-commit"
    committed = ([] if first is None else [first]) + ([killed] if landed else [])
    after = random_batch(rng, 30, with_c=adds_column)  # the same shape, as a retry would be
    committed += next_operation(home, operation, after)
    # A first insert killed before its commit created the table: the group has its schema.
    grown = first is None or landed or operation == "insert"
    columns = (killed if grown else after.drop_columns(["c"])).column_names
    assert_recovered(home, committed, columns, label)


def test_after_a_killed_first_insert_a_batch_missing_a_column_is_refused(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    home = tmp_path / "project"
    new_group(home, None)
    killed = random_batch(rng, 20)
    killed_at(tmp_path, "catalog-schema", *insert_args(home, tmp_path, killed))
    with fh.connect(home) as fs:
        fg = fs.get_feature_group(GROUP, 1)
        with pytest.raises(SchemaError, match="'a'") as info:
            fg.insert(random_batch(rng, 20).drop_columns(["a"]))
        assert info.value.column == "a"
        assert fg.commits()[-1].version == 1  # nothing was written
        fg.sync_online()  # the refused insert wrote nothing online either
    assert_recovered(home, [killed], killed.column_names, "refused insert")


@pytest.mark.parametrize("scenario", ["first insert", "insert adding a column"])
def test_random_sigkill_during_an_insert_loses_nothing_committed(
    scenario: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = np.random.default_rng(seed)
    delays = random.Random(seed)
    adds_column = scenario == "insert adding a column"

    def project(home: Path) -> tuple[pa.Table | None, pa.Table]:
        first = random_batch(rng, 50) if adds_column else None
        new_group(home, first)
        return first, random_batch(rng, 20_000, with_c=adds_column)

    _, batch = project(tmp_path / "unkilled")
    window = duration(tmp_path, *insert_args(tmp_path / "unkilled", tmp_path, batch))
    outcomes = []
    for attempt in range(3):
        home = tmp_path / f"project-{attempt}"
        first, killed = project(home)
        delay = delays.uniform(0.0, window)
        finished = killed_after(tmp_path, delay, *insert_args(home, tmp_path, killed))
        label = f"{scenario}, attempt {attempt}, killed {delay:.2f}s after ready (seed {seed})"
        with fh.connect(home) as fs:
            # Offline holds all of the batch or none of it.
            fg = fs.get_feature_group(GROUP, 1)
            try:
                stored = fg.read(columns=["id"]).to_arrow().num_rows
            except NotFoundError:
                stored = 0  # the child died before it created the table
        before = 0 if first is None else first.num_rows
        assert stored in (before, before + killed.num_rows), label
        landed = stored > before
        committed = ([] if first is None else [first]) + ([killed] if landed else [])
        committed += next_operation(home, "insert", random_batch(rng, 20, with_c=adds_column))
        columns = killed.column_names
        assert_recovered(home, committed, columns, label)
        outcomes.append((round(delay, 2), finished, landed))
    print(f"{scenario}: (delay, finished, committed) {outcomes}, seed {seed}")


# -- create_training_dataset -------------------------------------------------------------


def view_project(home: Path, rng: np.random.Generator) -> None:
    """A group of finite random rows, a view of it and its first training dataset."""
    batch = random_batch(rng, 2_000)
    new_group(home, batch.set_column(2, "a", pa.array(rng.normal(size=batch.num_rows))))
    with fh.connect(home) as fs:
        view = fs.create_feature_view(VIEW, query=fs.get_feature_group(GROUP, 1).select_all())
        view.create_training_dataset(start=START, end=END, splits=SPLITS)


def assert_datasets_readable(home: Path, label: str) -> list[int]:
    """Every registered dataset reads back, split by split, with its statistics; returns
    their versions."""
    with fh.connect(home) as fs:
        view = fs.get_feature_view(VIEW, 1)
        datasets = view.list_training_datasets()
        for td in datasets:
            for split, rows in td.rows.items():
                assert td.read(split).to_arrow().num_rows == rows, label
                assert td.split_statistics(split).row_count == rows, label
        latest = view.get_training_dataset()
        assert latest.version == datasets[-1].version, label
        assert latest.read().to_arrow().num_rows == sum(latest.rows.values()), label
        return [td.version for td in datasets]


@pytest.mark.parametrize("point", DATASET_POINTS)
def test_kill_inside_create_training_dataset_leaves_no_broken_dataset(
    point: str, tmp_path: Path
) -> None:
    home = tmp_path / "project"
    view_project(home, np.random.default_rng(11))
    killed_at(tmp_path, point, str(home), "training_dataset", VIEW)
    label = f"killed at {point}"
    assert assert_datasets_readable(home, label) == [1]
    # The next one is created (the killed run's tables do not block its number) and reads.
    with fh.connect(home) as fs:
        td = fs.get_feature_view(VIEW, 1).create_training_dataset(
            start=START, end=END, splits=SPLITS
        )
    versions = assert_datasets_readable(home, label)
    assert versions == [1, td.version] and td.version >= 2, label


def test_random_sigkill_during_create_training_dataset_leaves_no_broken_dataset(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    delays = random.Random(seed)
    home = tmp_path / "project"
    view_project(home, np.random.default_rng(seed))
    window = duration(tmp_path, str(home), "training_dataset", VIEW)
    registered = 2
    outcomes = []
    for attempt in range(4):
        delay = delays.uniform(0.0, window)
        finished = killed_after(tmp_path, delay, str(home), "training_dataset", VIEW)
        label = f"attempt {attempt}, killed {delay:.2f}s after ready (seed {seed})"
        versions = assert_datasets_readable(home, label)
        assert len(versions) in (registered, registered + 1), label
        registered = len(versions)
        outcomes.append((round(delay, 2), finished, registered))
    with fh.connect(home) as fs:
        fs.get_feature_view(VIEW, 1).create_training_dataset(start=START, end=END, splits=SPLITS)
    assert len(assert_datasets_readable(home, "after the kills")) == registered + 1
    print(f"(delay, finished, datasets) {outcomes}, seed {seed}")


def test_concurrent_creators_and_an_orphan_table_get_distinct_complete_datasets(
    tmp_path: Path,
) -> None:
    home = tmp_path / "project"
    view_project(home, np.random.default_rng(5))
    with fh.connect(home) as fs:
        # A killed run's table at the next number (its entry was never registered).
        orphan = pa.table({"x": [1]})
        fs._services.offline.write_new(table_id(VIEW, 1, 2, "train"), orphan)

    def create(i: int) -> tuple[int, dict[str, int]]:
        with fh.connect(home) as fs:
            splits = {"train": 0.5, f"part{i}": 0.5}
            td = fs.get_feature_view(VIEW, 1).create_training_dataset(
                start=START, end=END, splits=splits, seed=i
            )
            return td.version, td.rows

    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(create, range(4)))
    versions = sorted(v for v, _ in created)
    assert len(set(versions)) == 4 and 2 not in versions, created
    assert assert_datasets_readable(home, "concurrent") == [1, *versions]
    with fh.connect(home) as fs:
        view = fs.get_feature_view(VIEW, 1)
        for version, rows in created:
            td = view.get_training_dataset(version)
            assert td.rows == rows  # its own splits, read from its own tables
