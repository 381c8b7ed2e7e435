"""``run``: generate the data, then every case, each contender in its own process."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from .data import make_data, make_online_write_data
from .measure import Result, isolated, scratch_dir
from .offline import insert_bare, insert_featurehouse, upsert_bare, upsert_featurehouse
from .online import (
    drop_redis,
    insert_online_featurehouse,
    lookup_bare,
    lookup_featurehouse,
    redis_reachable,
    write_bare_redis,
    write_bare_redis_binary,
    write_bare_sqlite,
    write_latest_featurehouse,
    write_latest_redis,
)


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
    only_online_write: bool = False,
) -> Result:
    """Run every case and return the results: ``{case: {contender: {metric: value}}}``.

    ``redis=None`` measures Redis when it answers on 127.0.0.1:6379.
    ``only_online_write`` runs case 4 alone (its data only).
    """
    warmup = min(2_000, max(10, lookups // 10)) if warmup is None else warmup
    redis = redis_reachable() if redis is None else redis
    root = scratch_dir(data_dir, "fh-bench-")
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
        if only_online_write:
            log(f"generating the online-write data under {root}")
            isolated(make_online_write_data, root, online_rows)
            results["online_write"] = _online_write(root, online_rows, redis, log)
            return results
        log(f"generating data under {root}")
        isolated(make_data, root, rows, upsert_rows, online_keys, warmup + lookups, online_rows)
        fh_project = root / "fh"
        bare = root / "bare" / "tx"
        log(f"1/4 insert {rows:,} rows: featurehouse")
        insert = {"featurehouse": isolated(insert_featurehouse, root / "events.arrow", fh_project)}
        log("1/4 insert: bare write_deltalake")
        insert["bare"] = isolated(insert_bare, root / "events.arrow", bare)
        results["insert"] = insert

        shutil.copytree(bare, root / "bare" / "merge")
        shutil.copytree(bare, root / "bare" / "merge_bounds")
        shutil.rmtree(bare)
        log(f"2/4 upsert {upsert_rows:,} rows: featurehouse")
        upsert = {"featurehouse": isolated(upsert_featurehouse, root / "upsert.arrow", fh_project)}
        log("2/4 upsert: bare merge")
        upsert["bare"] = isolated(
            upsert_bare, root / "upsert.arrow", root / "bare" / "merge", False
        )
        log("2/4 upsert: bare merge + time bounds")
        upsert["bare_bounds"] = isolated(
            upsert_bare, root / "upsert.arrow", root / "bare" / "merge_bounds", True
        )
        results["upsert"] = upsert
        shutil.rmtree(fh_project)
        shutil.rmtree(root / "bare")

        log(f"3/4 online lookup, {lookups:,} keys of {online_keys:,}")
        data, key_file = root / "lookup.arrow", root / "keys.arrow"
        lookup = {
            "featurehouse": isolated(lookup_featurehouse, data, key_file, root / "lookup", warmup),
            "bare": isolated(lookup_bare, data, key_file, root / "lookup_a.db", warmup, False),
            "bare_dict": isolated(lookup_bare, data, key_file, root / "lookup_b.db", warmup, True),
        }
        results["lookup"] = lookup

        results["online_write"] = _online_write(root, online_rows, redis, log)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return results


def _online_write(root: Path, online_rows: int, redis: bool, log: Callable[[str], None]) -> Result:
    log(f"4/4 online write, {online_rows:,} rows")
    data = root / "online.arrow"
    write = {
        "write_latest": isolated(write_latest_featurehouse, data, root / "write_a"),
        "insert_online": isolated(insert_online_featurehouse, data, root / "write_b"),
        "bare": isolated(write_bare_sqlite, data, root / "write_c.db"),
    }
    if redis:
        prefix = f"fhbench:{uuid.uuid4().hex[:12]}:"
        try:
            log("4/4 online write: redis")
            write["redis"] = isolated(write_latest_redis, data, prefix + "fh:")
            drop_redis(prefix)
            write["redis_bare"] = isolated(write_bare_redis, data, prefix + "bare:")
            drop_redis(prefix)
            write["redis_bare_binary"] = isolated(write_bare_redis_binary, data, prefix + "bin:")
        finally:
            drop_redis(prefix)
    else:
        write["redis"] = {"skipped": "Redis is not reachable on 127.0.0.1:6379"}
    return write
