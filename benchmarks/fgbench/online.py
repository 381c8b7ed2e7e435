"""Cases 3 and 4: online lookup (SQLite) and online write (SQLite, Redis), featurehouse vs
bare sqlite3 and redis-py. The ``lookup_*`` and ``write_*`` functions run in their own
spawned process; ``drop_redis`` and ``redis_reachable`` serve the parent."""

from __future__ import annotations

import socket
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import read_table
from .measure import Result, cpu_seconds, timed, warm_imports

if TYPE_CHECKING:
    import pyarrow as pa

REDIS_URL = "redis://127.0.0.1:6379/0"


# -- 3. online lookup ------------------------------------------------------------------------


def _latencies(lookup: Callable[[int], Any], keys: list[int], warmup: int) -> Result:
    """Look every key up once, timing each call; the first ``warmup`` calls are not kept."""
    for key in keys[:warmup]:
        lookup(key)
    timings = []
    found = 0
    checksum = 0.0
    out: Result = {}
    with timed(out):
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
    warm_imports()
    import featurehouse as fh

    table = read_table(data)
    key_list = read_table(keys).column("id").to_pylist()
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
    table = read_table(data)
    key_list = read_table(keys).column("id").to_pylist()
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
    warm_imports()
    import featurehouse as fh

    table = read_table(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group(
        "online_w", version=1, primary_key=["id"], event_time="ts", online=True, schema=table.schema
    )
    online_table = fg._spec.online_table
    store = fs._services.online
    out: Result = {}
    with timed(out):
        store.write_latest(online_table, table)
    fs.close()
    out["rows"] = _count_sqlite(project / "online.db", "fg_online_w_v1")
    return out


def insert_online_featurehouse(data: Path, project: Path) -> Result:
    """The full ``fg.insert`` of an online group; the online part timed by wrapping it."""
    warm_imports()
    import featurehouse as fh
    import featurehouse.core.writer as writer

    table = read_table(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group(
        "online_i", version=1, primary_key=["id"], event_time="ts", online=True
    )
    _ = fs._services.engine
    online = {"seconds": 0.0, "cpu_seconds": 0.0}
    sync = writer.sync_online

    def timed_sync(*args: Any, **kwargs: Any) -> int:
        cpu, start = cpu_seconds(), time.perf_counter()
        try:
            return sync(*args, **kwargs)
        finally:
            online["seconds"] += time.perf_counter() - start
            online["cpu_seconds"] += cpu_seconds() - cpu

    writer.sync_online = timed_sync
    out: Result = {}
    with timed(out):
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
    table = read_table(data)
    conn = _bare_sqlite(db, table.column_names)
    out: Result = {}
    with timed(out):
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
    warm_imports()
    try:
        from featurehouse.online.base import OnlineTable, open_online_store

        store = open_online_store(f"{REDIS_URL}?prefix={prefix}")
    except Exception as exc:
        return {"skipped": f"RedisOnlineStore unavailable ({type(exc).__name__}: {exc})"}
    table = read_table(data)
    online_table = OnlineTable("bench_v1", table.schema, ("id",), "ts")
    out: Result = {}
    try:
        with timed(out):
            store.write_latest(online_table, table)
        sample = [(k,) for k in table.column("id").slice(0, 1000).to_pylist()]
        found = sum(r is not None for r in store.read(online_table, sample))
    except Exception as exc:
        return {"skipped": f"RedisOnlineStore failed ({type(exc).__name__}: {exc})"}
    finally:
        store.close()
    # Row keys only: the table's rows live under its format tag (b1) and first generation,
    # beside its marker.
    rows = _redis_keys(f"{prefix}bench_v1:b1:0:")
    out.update(rows=rows, sample_found=found, sample=len(sample))
    return out


def _mset_pipelined(client: Any, pairs: Callable[[int, int], dict[Any, Any]], n: int) -> None:
    """MSET of 500 keys, 20 MSETs per round trip: the batching RedisOnlineStore uses."""
    pipe = client.pipeline(transaction=False)
    for start in range(0, n, 500):
        pipe.mset(pairs(start, min(n, start + 500)))
        if len(pipe) == 20:
            pipe.execute()
    pipe.execute()


def write_bare_redis(data: Path, prefix: str) -> Result:
    """One string key per row holding its JSON values (no event-time compare): what a
    bare redis-py user writes for self-describing rows."""
    import json

    import redis

    table = read_table(data)
    client = redis.Redis.from_url(REDIS_URL)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    out: Result = {}
    with timed(out):
        rows = _rows(table)
        _mset_pipelined(
            client, lambda a, b: {f"{prefix}{row[0]}": dumps(row) for row in rows[a:b]}, len(rows)
        )
    client.close()
    out["rows"] = _redis_keys(prefix)
    return out


def write_bare_redis_binary(data: Path, prefix: str) -> Result:
    """One string key per row holding its values packed by numpy (ts as µs, then the
    floats, little-endian; no event-time compare, no null bitmap): the bytes featurehouse
    stores, less its 24-byte header. The floor for the same rows in binary."""
    import numpy as np
    import pyarrow as pa
    import redis

    table = read_table(data)
    client = redis.Redis.from_url(REDIS_URL)
    out: Result = {}
    with timed(out):
        floating = [pa.types.is_floating(f.type) for f in table.schema]
        dtype = [
            (f.name, "<f8" if fl else "<i8") for f, fl in zip(table.schema, floating, strict=True)
        ]
        record = np.empty(table.num_rows, dtype=dtype)
        for name in table.column_names:
            column = table.column(name)
            if pa.types.is_timestamp(column.type):
                column = column.cast(pa.int64())
            record[name] = column.to_numpy()
        values = record.view(np.dtype(("V", record.dtype.itemsize))).tolist()
        keys = [f"{prefix}{k}" for k in table.column("id").to_pylist()]
        _mset_pipelined(
            client, lambda a, b: dict(zip(keys[a:b], values[a:b], strict=True)), len(keys)
        )
    client.close()
    out["rows"] = _redis_keys(prefix)
    return out


def drop_redis(prefix: str) -> None:
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
