"""featurehouse side by side with the bare libraries doing the same work, in one run.

    .venv/bin/python benchmarks/feature_groups.py [--rows N] [--upsert-rows M] [--quick]

Every measured step runs in its own spawned process (deltalake panics in forked children),
so that its peak RSS (``ru_maxrss``) is its own. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

FEATURES = 10  # float64 features of the insert, upsert and online-write tables
LOOKUP_FEATURES = 30  # float64 features of the online-lookup table
DAYS = 30  # event times spread over this many days
RECENT = 0.10  # corrections concern the most recent 10% of event time
START = datetime(2025, 1, 1, tzinfo=UTC)
SEED = 20250101
QUICK = 20  # --quick divides every size by this
REDIS_URL = "redis://127.0.0.1:6379/0"

Result = dict[str, Any]


# -- data ----------------------------------------------------------------------------------


def _features(rng: Any, n: int, count: int) -> dict[str, Any]:
    values = rng.standard_normal((count, n))
    return {f"f{i}": values[i] for i in range(count)}


def _timestamps(values: Any) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, pa.timestamp("us", tz="UTC"))


def make_events(rows: int, features: int = FEATURES, seed: int = SEED) -> pa.Table:
    """``rows`` events: unique ``id``, ``ts`` sorted over DAYS days, float64 features."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    start = int(START.timestamp() * 1_000_000)
    ts = start + np.sort(rng.integers(0, DAYS * 86_400 * 1_000_000, rows, dtype=np.int64))
    ids = rng.permutation(rows).astype(np.int64)
    return pa.table({"id": ids, "ts": _timestamps(ts), **_features(rng, rows, features)})


def make_upsert(events: pa.Table, rows: int, seed: int = SEED + 1) -> pa.Table:
    """Half corrections of stored (id, ts) in the most recent RECENT of time, half new keys."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = events.num_rows
    first = int(n * (1 - RECENT))  # events are sorted by time: the recent ones are last
    corrections = rows // 2
    fresh = rows - corrections
    if corrections > n - first:
        raise ValueError(f"--upsert-rows {rows} needs at most {2 * (n - first)} for {n} rows")
    picked = first + rng.choice(n - first, size=corrections, replace=False)
    ts_all = events.column("ts").cast(pa.int64()).to_numpy()
    ids = np.concatenate(
        [events.column("id").to_numpy()[picked], np.arange(n, n + fresh, dtype=np.int64)]
    )
    ts = np.concatenate([ts_all[picked], rng.integers(ts_all[first], ts_all[-1] + 1, fresh)])
    order = np.argsort(ts, kind="stable")  # a pipeline writes in time order
    feats = {k: v[order] for k, v in _features(rng, rows, FEATURES).items()}
    return pa.table({"id": ids[order], "ts": _timestamps(ts[order]), **feats})


def make_data(
    root: Path, rows: int, upsert_rows: int, online_keys: int, lookups: int, online_rows: int
) -> Result:
    """Write every input as an Arrow IPC file under ``root`` (in a child: the parent stays
    small, so that the processes it spawns start small)."""
    import numpy as np
    import pyarrow as pa

    events = make_events(rows)
    _write(events, root / "events.arrow")
    _write(make_upsert(events, upsert_rows), root / "upsert.arrow")
    del events
    lookup_table = make_events(online_keys, LOOKUP_FEATURES, seed=SEED + 2)
    _write(lookup_table, root / "lookup.arrow")
    rng = np.random.default_rng(SEED + 3)
    keys = rng.choice(lookup_table.column("id").to_numpy(), size=lookups)
    _write(pa.table({"id": keys}), root / "keys.arrow")
    _write(make_events(online_rows, seed=SEED + 4), root / "online.arrow")
    return {}


def _write(table: pa.Table, path: Path) -> None:
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=1_000_000)


def _read(path: Path) -> pa.Table:
    """Read into ordinary memory (not a memory map), as a pipeline's batch would be."""
    import pyarrow as pa

    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


# -- measuring (inside the spawned process) -------------------------------------------------


def _memory_mib() -> tuple[float, float]:
    """(resident now, peak resident) of this process, in MiB.

    On Linux this reads VmRSS and VmHWM: ``ru_maxrss`` is no use in a spawned child, as
    the kernel carries the parent's peak over fork + exec (a child of a 1.5 GB parent
    reports 1.5 GB). Elsewhere it falls back to ``ru_maxrss`` for both.
    """
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith("Vm"))
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mib = peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes / KiB
        return peak_mib, peak_mib


def _reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux >= 4.0), so the peak is the step's."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _timed(out: Result) -> Iterator[None]:
    """Time the block (wall and CPU of all threads); record RSS at its start and its peak."""
    _reset_peak()
    out["rss_before_mib"] = _memory_mib()[0]
    cpu = _cpu_seconds()
    start = time.perf_counter()
    yield
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = _cpu_seconds() - cpu
    out["peak_rss_mib"] = max(_memory_mib()[1], out["rss_before_mib"])


def _isolated(fn: Callable[..., Result], *args: Any) -> Result:
    """Run ``fn(*args)`` in a fresh spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def _warm_imports() -> None:
    """Load the libraries before any timing (a one-off cost of the process, not of the step)."""
    import deltalake  # noqa: F401
    import duckdb  # noqa: F401
    import pyarrow.compute
    import pyarrow.dataset  # noqa: F401

    import featurehouse  # noqa: F401


def _delta_layout(path: Path) -> Result:
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    return {"files": len(table.file_uris()), "table_rows": table.count()}


# -- 1. insert -------------------------------------------------------------------------------


def insert_featurehouse(data: Path, project: Path) -> Result:
    _warm_imports()
    import featurehouse as fh

    table = _read(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group("tx", version=1, primary_key=["id"], event_time="ts", online=False)
    _ = fs._services.engine  # open DuckDB once, outside the timing
    out: Result = {}
    with _timed(out):
        result = fg.insert(table)
    fs.close()
    out.update(rows_inserted=result.rows_inserted, rows_updated=result.rows_updated)
    return out | _delta_layout(project / "offline" / "tx_v1")


def insert_bare(data: Path, path: Path) -> Result:
    _warm_imports()
    from deltalake import write_deltalake

    table = _read(data)
    out: Result = {}
    with _timed(out):
        write_deltalake(str(path), table, mode="append")
    out.update(rows_inserted=table.num_rows, rows_updated=0)
    return out | _delta_layout(path)


# -- 2. upsert -------------------------------------------------------------------------------

MERGE_METRICS = (
    "num_target_files_scanned",
    "num_target_files_skipped_during_scan",
    "num_target_files_added",
    "num_target_files_removed",
    "num_target_rows_copied",
)


def upsert_featurehouse(data: Path, project: Path) -> Result:
    _warm_imports()
    from deltalake import DeltaTable

    import featurehouse as fh

    batch = _read(data)
    fs = fh.connect(project)
    fg = fs.get_feature_group("tx", version=1)
    _ = fs._services.engine
    out: Result = {}
    with _timed(out):
        result = fg.insert(batch)
    fs.close()
    path = project / "offline" / "tx_v1"
    metrics = DeltaTable(str(path)).history(1)[0]["operationMetrics"]
    out.update(rows_inserted=result.rows_inserted, rows_updated=result.rows_updated)
    out.update({k: metrics.get(k) for k in MERGE_METRICS})
    return out | _delta_layout(path)


def _bounds_predicate(batch: pa.Table) -> str:
    import pyarrow.compute as pc

    low, high = pc.min_max(batch.column("ts")).values()
    return f" AND t.ts >= '{low.as_py().isoformat()}' AND t.ts <= '{high.as_py().isoformat()}'"


def upsert_bare(data: Path, path: Path, bounds: bool) -> Result:
    _warm_imports()
    from deltalake import DeltaTable

    batch = _read(data)
    out: Result = {}
    with _timed(out):
        predicate = "t.id = s.id AND t.ts = s.ts"
        if bounds:
            predicate += _bounds_predicate(batch)
        metrics = (
            DeltaTable(str(path))
            .merge(batch, predicate, source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    out.update(
        rows_inserted=metrics["num_target_rows_inserted"],
        rows_updated=metrics["num_target_rows_updated"],
    )
    out.update({k: metrics.get(k) for k in MERGE_METRICS})
    return out | _delta_layout(path)


# -- 3. online lookup ------------------------------------------------------------------------


def _latencies(lookup: Callable[[int], Any], keys: list[int], warmup: int) -> Result:
    """Look every key up once, timing each call; the first ``warmup`` calls are not kept."""
    for key in keys[:warmup]:
        lookup(key)
    timings = []
    found = 0
    checksum = 0.0
    out: Result = {}
    with _timed(out):
        for key in keys[warmup:]:
            start = time.perf_counter()
            row = lookup(key)
            timings.append(time.perf_counter() - start)
            if row is not None:
                found += 1
                checksum += row["f0"] if isinstance(row, dict) else row[2]
    timings.sort()
    us = [t * 1e6 for t in timings]
    out.update(
        lookups=len(us),
        found=found,
        checksum=round(checksum, 6),
        p50_us=statistics.median(us),
        p99_us=us[min(len(us) - 1, int(len(us) * 0.99))],
        mean_us=statistics.fmean(us),
        max_us=us[-1],
    )
    return out


def lookup_featurehouse(data: Path, keys: Path, project: Path, warmup: int) -> Result:
    _warm_imports()
    import featurehouse as fh

    table = _read(data)
    key_list = _read(keys).column("id").to_pylist()
    fs = fh.connect(project)
    fg = fs.create_feature_group(
        "profile", version=1, primary_key=["id"], event_time="ts", online=True
    )
    fg.insert(table)
    del table
    out = _latencies(lambda k: fg.get_online({"id": k}), key_list, warmup)
    fs.close()
    return out


def _bare_sqlite(path: Path, names: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    columns = ", ".join(["id INTEGER PRIMARY KEY", "ts INTEGER", *(f"{n} REAL" for n in names[2:])])
    conn.execute(f"CREATE TABLE t ({columns})")
    return conn


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Arrow -> tuples of Python scalars, the timestamp as integer microseconds."""
    import pyarrow as pa

    columns = [
        c.cast(pa.int64()).to_pylist() if pa.types.is_timestamp(c.type) else c.to_pylist()
        for c in table.columns
    ]
    return list(zip(*columns, strict=True))


def _bulk_insert(conn: sqlite3.Connection, table: pa.Table) -> None:
    marks = ", ".join("?" for _ in table.column_names)
    rows = _rows(table)
    conn.execute("BEGIN")
    conn.executemany(f"INSERT OR REPLACE INTO t VALUES ({marks})", rows)
    conn.execute("COMMIT")


def lookup_bare(data: Path, keys: Path, db: Path, warmup: int, as_dict: bool) -> Result:
    table = _read(data)
    key_list = _read(keys).column("id").to_pylist()
    names = table.column_names
    conn = _bare_sqlite(db, names)
    _bulk_insert(conn, table)
    del table
    select = "SELECT * FROM t WHERE id = ?"
    if as_dict:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        micro = timedelta(microseconds=1)

        def lookup(key: int) -> Any:
            values = conn.execute(select, (key,)).fetchone()
            if values is None:
                return None
            row = dict(zip(names, values, strict=True))
            row["ts"] = epoch + row["ts"] * micro
            return row

    else:

        def lookup(key: int) -> Any:
            return conn.execute(select, (key,)).fetchone()

    out = _latencies(lookup, key_list, warmup)
    conn.close()
    return out


# -- 4. online write -------------------------------------------------------------------------


def _count_sqlite(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    finally:
        conn.close()


def write_latest_featurehouse(data: Path, project: Path) -> Result:
    _warm_imports()
    import featurehouse as fh

    table = _read(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group(
        "online_w", version=1, primary_key=["id"], event_time="ts", online=True, schema=table.schema
    )
    online_table = fg._spec.online_table
    store = fs._services.online
    out: Result = {}
    with _timed(out):
        store.write_latest(online_table, table)
    fs.close()
    out["rows"] = _count_sqlite(project / "online.db", "fg_online_w_v1")
    return out


def insert_online_featurehouse(data: Path, project: Path) -> Result:
    """The full ``fg.insert`` of an online group; the online part timed by wrapping it."""
    _warm_imports()
    import featurehouse as fh
    import featurehouse.writer as writer

    table = _read(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group(
        "online_i", version=1, primary_key=["id"], event_time="ts", online=True
    )
    _ = fs._services.engine
    online = {"seconds": 0.0, "cpu_seconds": 0.0}
    sync = writer.sync_online

    def timed_sync(*args: Any, **kwargs: Any) -> int:
        cpu, start = _cpu_seconds(), time.perf_counter()
        try:
            return sync(*args, **kwargs)
        finally:
            online["seconds"] += time.perf_counter() - start
            online["cpu_seconds"] += _cpu_seconds() - cpu

    writer.sync_online = timed_sync
    out: Result = {}
    with _timed(out):
        result = fg.insert(table)
    writer.sync_online = sync
    fs.close()
    out.update(
        insert_seconds=out["seconds"],
        offline_seconds=out["seconds"] - online["seconds"],
        online_rows_written=result.online_rows_written,
        rows=_count_sqlite(project / "online.db", "fg_online_i_v1"),
        **online,
    )
    return out


def write_bare_sqlite(data: Path, db: Path) -> Result:
    table = _read(data)
    conn = _bare_sqlite(db, table.column_names)
    out: Result = {}
    with _timed(out):
        _bulk_insert(conn, table)
    conn.close()
    out["rows"] = _count_sqlite(db, "t")
    return out


def _redis_keys(prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return sum(1 for _ in client.scan_iter(f"{prefix}*", count=10_000))
    finally:
        client.close()


def write_latest_redis(data: Path, prefix: str) -> Result:
    _warm_imports()
    try:
        from featurehouse.online.base import OnlineTable, open_online_store

        store = open_online_store(f"{REDIS_URL}?prefix={prefix}")
    except Exception as exc:
        return {"skipped": f"RedisOnlineStore unavailable ({type(exc).__name__}: {exc})"}
    table = _read(data)
    online_table = OnlineTable("bench_v1", table.schema, ("id",), "ts")
    out: Result = {}
    try:
        with _timed(out):
            store.write_latest(online_table, table)
        sample = [(k,) for k in table.column("id").slice(0, 1000).to_pylist()]
        found = sum(r is not None for r in store.read(online_table, sample))
    except Exception as exc:
        return {"skipped": f"RedisOnlineStore failed ({type(exc).__name__}: {exc})"}
    finally:
        store.close()
    out.update(rows=_redis_keys(prefix), sample_found=found, sample=len(sample))
    return out


def write_bare_redis(data: Path, prefix: str) -> Result:
    """One string key per row holding its JSON values (no event-time compare), sent with
    MSET of 500 keys, 20 MSETs per round trip: the batching RedisOnlineStore uses."""
    import json

    import redis

    table = _read(data)
    client = redis.Redis.from_url(REDIS_URL)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    out: Result = {}
    with _timed(out):
        rows = _rows(table)
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(rows), 500):
            pipe.mset({f"{prefix}{row[0]}": dumps(row) for row in rows[start : start + 500]})
            if len(pipe) == 20:
                pipe.execute()
        pipe.execute()
    client.close()
    out["rows"] = _redis_keys(prefix)
    return out


def _drop_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(f"{prefix}*", count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


# -- the run ---------------------------------------------------------------------------------


def run(
    rows: int = 10_000_000,
    upsert_rows: int = 1_000_000,
    lookups: int = 20_000,
    online_keys: int = 100_000,
    online_rows: int = 1_000_000,
    warmup: int | None = None,
    redis: bool | None = None,
    data_dir: str | Path | None = None,
    keep: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Result:
    """Run every case and return the results: ``{case: {contender: {metric: value}}}``.

    ``redis=None`` measures Redis when it answers on 127.0.0.1:6379.
    """
    warmup = min(2_000, max(10, lookups // 10)) if warmup is None else warmup
    redis = redis_reachable() if redis is None else redis
    if data_dir is not None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="fh-bench-", dir=data_dir))
    results: Result = {
        "config": {
            "rows": rows,
            "upsert_rows": upsert_rows,
            "lookups": lookups,
            "warmup": warmup,
            "online_keys": online_keys,
            "online_rows": online_rows,
            "redis": redis,
            "data_dir": str(root),
            "load": os.getloadavg()[0],
        }
    }
    try:
        log(f"generating data under {root}")
        _isolated(make_data, root, rows, upsert_rows, online_keys, warmup + lookups, online_rows)
        fh_project = root / "fh"
        bare = root / "bare" / "tx"
        log(f"1/4 insert {rows:,} rows: featurehouse")
        insert = {"featurehouse": _isolated(insert_featurehouse, root / "events.arrow", fh_project)}
        log("1/4 insert: bare write_deltalake")
        insert["bare"] = _isolated(insert_bare, root / "events.arrow", bare)
        results["insert"] = insert

        shutil.copytree(bare, root / "bare" / "merge")
        shutil.copytree(bare, root / "bare" / "merge_bounds")
        shutil.rmtree(bare)
        log(f"2/4 upsert {upsert_rows:,} rows: featurehouse")
        upsert = {"featurehouse": _isolated(upsert_featurehouse, root / "upsert.arrow", fh_project)}
        log("2/4 upsert: bare merge")
        upsert["bare"] = _isolated(
            upsert_bare, root / "upsert.arrow", root / "bare" / "merge", False
        )
        log("2/4 upsert: bare merge + time bounds")
        upsert["bare_bounds"] = _isolated(
            upsert_bare, root / "upsert.arrow", root / "bare" / "merge_bounds", True
        )
        results["upsert"] = upsert
        shutil.rmtree(fh_project)
        shutil.rmtree(root / "bare")

        log(f"3/4 online lookup, {lookups:,} keys of {online_keys:,}")
        data, key_file = root / "lookup.arrow", root / "keys.arrow"
        lookup = {
            "featurehouse": _isolated(lookup_featurehouse, data, key_file, root / "lookup", warmup),
            "bare": _isolated(lookup_bare, data, key_file, root / "lookup_a.db", warmup, False),
            "bare_dict": _isolated(lookup_bare, data, key_file, root / "lookup_b.db", warmup, True),
        }
        results["lookup"] = lookup

        log(f"4/4 online write, {online_rows:,} rows")
        data = root / "online.arrow"
        write = {
            "write_latest": _isolated(write_latest_featurehouse, data, root / "write_a"),
            "insert_online": _isolated(insert_online_featurehouse, data, root / "write_b"),
            "bare": _isolated(write_bare_sqlite, data, root / "write_c.db"),
        }
        if redis:
            prefix = f"fhbench:{uuid.uuid4().hex[:12]}:"
            try:
                log("4/4 online write: redis")
                write["redis"] = _isolated(write_latest_redis, data, prefix + "fh:")
                _drop_redis(prefix)
                write["redis_bare"] = _isolated(write_bare_redis, data, prefix + "bare:")
            finally:
                _drop_redis(prefix)
        else:
            write["redis"] = {"skipped": "Redis is not reachable on 127.0.0.1:6379"}
        results["online_write"] = write
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return results


# -- the report ------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}x"


def _verdict(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]MISS[/]"


def report(results: Result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    c = results["config"]
    import deltalake
    import duckdb
    import pyarrow

    console.print(
        f"[bold]featurehouse vs bare libraries[/]  python {platform.python_version()}, "
        f"deltalake {deltalake.__version__}, pyarrow {pyarrow.__version__}, duckdb "
        f"{duckdb.__version__}, sqlite {sqlite3.sqlite_version}, {multiprocessing.cpu_count()} "
        f"CPUs, load average at start {c['load']:.2f}. Each contender ran in its own spawned "
        "process; ratio = featurehouse / bare (time; > 1 means featurehouse is slower). "
        "Peak RSS = the process's peak resident memory during the timed step (VmHWM; the "
        "input table included), +step = that peak minus the RSS when the step began."
    )

    ins = results["insert"]
    t = Table(title=f"1. Insert {c['rows']:,} new rows x 12 columns into a fresh table")
    columns = ["contender", "seconds", "CPU s", "rows/s", "peak RSS MiB", "+step MiB"]
    for col in [*columns, "files", "rows"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    t.add_column("fh / bare", justify="right")
    names = {"featurehouse": "featurehouse fg.insert", "bare": "bare write_deltalake(append)"}
    for key, label in names.items():
        r = ins[key]
        t.add_row(
            label,
            _num(r["seconds"]),
            _num(r["cpu_seconds"]),
            _int(round(c["rows"] / r["seconds"])),
            _num(r["peak_rss_mib"], 0),
            _num(r["peak_rss_mib"] - r["rss_before_mib"], 0),
            _int(r["files"]),
            _int(r["table_rows"]),
            _ratio(ins["featurehouse"]["seconds"], r["seconds"]) if key != "featurehouse" else "",
        )
    console.print(t)

    up = results["upsert"]
    t = Table(
        title=f"2. Upsert {c['upsert_rows']:,} rows (half new keys, half corrections in the "
        f"most recent {RECENT:.0%} of time) into the {c['rows']:,}-row table"
    )
    columns = ["contender", "seconds", "CPU s", "peak RSS MiB", "+step MiB", "inserted", "updated"]
    columns += ["rows after", "files scanned", "skipped", "added", "removed", "rows copied"]
    for col in [*columns, "fh / this"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    names = {
        "featurehouse": "featurehouse fg.insert",
        "bare": "bare merge (id, ts)",
        "bare_bounds": "bare merge (id, ts) + time bounds",
    }
    for key, label in names.items():
        r = up[key]
        t.add_row(
            label,
            _num(r["seconds"]),
            _num(r["cpu_seconds"]),
            _num(r["peak_rss_mib"], 0),
            _num(r["peak_rss_mib"] - r["rss_before_mib"], 0),
            _int(r["rows_inserted"]),
            _int(r["rows_updated"]),
            _int(r["table_rows"]),
            *(_int(r[m]) for m in MERGE_METRICS),
            _ratio(up["featurehouse"]["seconds"], r["seconds"]) if key != "featurehouse" else "",
        )
    console.print(t)

    lk = results["lookup"]
    t = Table(
        title=f"3. Online lookup of one key, {c['lookups']:,} random keys of {c['online_keys']:,} "
        f"(32 columns: id, ts, {LOOKUP_FEATURES} floats; after {c['warmup']:,} warm-up lookups)"
    )
    columns = ["contender", "p50 µs", "p99 µs", "mean µs", "max µs", "lookups/s", "found"]
    for col in [*columns, "peak RSS MiB", "fh / this p50", "fh / this p99"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    names = {
        "featurehouse": "featurehouse fg.get_online",
        "bare": "bare sqlite3 SELECT -> tuple",
        "bare_dict": "bare sqlite3 SELECT -> dict, ts as datetime",
    }
    f = lk["featurehouse"]
    for key, label in names.items():
        r = lk[key]
        t.add_row(
            label,
            _num(r["p50_us"], 1),
            _num(r["p99_us"], 1),
            _num(r["mean_us"], 1),
            _num(r["max_us"], 0),
            _int(round(1e6 / r["mean_us"])),
            _int(r["found"]),
            _num(r["peak_rss_mib"], 0),
            _ratio(f["p50_us"], r["p50_us"]) if key != "featurehouse" else "",
            _ratio(f["p99_us"], r["p99_us"]) if key != "featurehouse" else "",
        )
    console.print(t)

    wr = results["online_write"]
    t = Table(
        title=f"4. Online write of {c['online_rows']:,} rows x {FEATURES} float features "
        "(+ id, ts) into an empty online table"
    )
    columns = ["contender", "seconds", "CPU s", "rows/s", "rows stored", "peak RSS MiB"]
    for col in [*columns, "+step MiB"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    t.add_column("fh / bare", justify="right")
    ins_online = wr["insert_online"]
    names = {
        "write_latest": "featurehouse SqliteOnlineStore.write_latest",
        "insert_online": "featurehouse fg.insert (online=True): online part",
        "bare": "bare sqlite3 executemany INSERT OR REPLACE",
        "redis": "featurehouse RedisOnlineStore.write_latest",
        "redis_bare": "bare redis-py pipelined MSET of JSON rows",
    }
    for key, label in names.items():
        r = wr.get(key)
        if r is None:
            continue
        if "skipped" in r:
            t.add_row(label, f"[yellow]skipped: {r['skipped']}[/]", *([""] * 7))
            continue
        reference = wr["redis_bare" if key.startswith("redis") else "bare"]
        is_bare = key in ("bare", "redis_bare")
        t.add_row(
            label,
            _num(r["seconds"]),
            _num(r["cpu_seconds"]),
            _int(round(c["online_rows"] / r["seconds"])),
            _int(r["rows"]),
            _num(r["peak_rss_mib"], 0),
            _num(r["peak_rss_mib"] - r["rss_before_mib"], 0),
            "" if is_bare else _ratio(r["seconds"], reference.get("seconds")),
        )
    console.print(t)
    console.print(
        f"   fg.insert (online=True) took {ins_online['insert_seconds']:.2f} s in all: "
        f"{ins_online['offline_seconds']:.2f} s offline (prepare + Delta append + catalog), "
        f"{ins_online['seconds']:.2f} s online (sync_online: dedup per key + write_latest + "
        "catalog)"
    )

    t = Table(title="Targets")
    for col in ("target", "measured", "verdict"):
        t.add_column(col)
    insert_ratio = ins["featurehouse"]["seconds"] / ins["bare"]["seconds"]
    upsert_ratio = up["featurehouse"]["seconds"] / up["bare"]["seconds"]
    upsert_bounds = up["featurehouse"]["seconds"] / up["bare_bounds"]["seconds"]
    p99 = lk["featurehouse"]["p99_us"]
    write_rate = c["online_rows"] / wr["write_latest"]["seconds"]
    insert_rate = c["online_rows"] / ins_online["seconds"]
    t.add_row("insert within 1.5x of bare", f"{insert_ratio:.2f}x", _verdict(insert_ratio <= 1.5))
    t.add_row(
        "upsert within 1.5x of bare merge",
        f"{upsert_ratio:.2f}x (vs bare + bounds: {upsert_bounds:.2f}x)",
        _verdict(upsert_ratio <= 1.5),
    )
    t.add_row("online lookup p99 < 100 µs", f"{p99:.1f} µs", _verdict(p99 < 100))
    t.add_row(
        "online write >= 500k rows/s (write_latest)",
        f"{write_rate:,.0f} rows/s",
        _verdict(write_rate >= 500_000),
    )
    t.add_row(
        "online write >= 500k rows/s (fg.insert online part)",
        f"{insert_rate:,.0f} rows/s",
        _verdict(insert_rate >= 500_000),
    )
    console.print(t)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the insert")
    parser.add_argument("--upsert-rows", type=int, default=1_000_000, help="rows of the upsert")
    parser.add_argument("--lookups", type=int, default=20_000, help="timed online lookups")
    parser.add_argument("--online-keys", type=int, default=100_000, help="keys of the lookup group")
    parser.add_argument(
        "--online-rows", type=int, default=1_000_000, help="rows of the online write"
    )
    parser.add_argument("--quick", action="store_true", help=f"every size divided by {QUICK}")
    parser.add_argument("--no-redis", action="store_true", help="skip Redis even if reachable")
    parser.add_argument("--data-dir", help="where the temporary data goes (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else 1
    started = time.perf_counter()
    results = run(
        rows=args.rows // scale,
        upsert_rows=args.upsert_rows // scale,
        lookups=args.lookups // scale,
        online_keys=args.online_keys // scale,
        online_rows=args.online_rows // scale,
        redis=False if args.no_redis else None,
        data_dir=args.data_dir,
        keep=args.keep,
        log=lambda message: print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True),
    )
    report(results)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
