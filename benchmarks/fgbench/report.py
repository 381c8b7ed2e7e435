"""The report: one rich table per case with the ratio featurehouse / bare, then the
targets with PASS or MISS."""

from __future__ import annotations

import multiprocessing
import platform
import sqlite3
from typing import TYPE_CHECKING

from .data import FEATURES, LOOKUP_FEATURES, RECENT
from .measure import Result
from .offline import MERGE_METRICS

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

INSERT_TARGET = 1.2  # fg.insert (commit statistics on) / bare write_deltalake, wall time


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
    if "insert" not in results:  # --only-online-write
        _online_write_table(console, results)
        t = _targets_table()
        _online_write_targets(t, results)
        console.print(t)
        return
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

    _online_write_table(console, results)

    t = _targets_table()
    insert_ratio = ins["featurehouse"]["seconds"] / ins["bare"]["seconds"]
    upsert_ratio = up["featurehouse"]["seconds"] / up["bare"]["seconds"]
    upsert_bounds = up["featurehouse"]["seconds"] / up["bare_bounds"]["seconds"]
    p99 = lk["featurehouse"]["p99_us"]
    t.add_row(
        f"insert within {INSERT_TARGET}x of bare",
        f"{insert_ratio:.2f}x",
        _verdict(insert_ratio <= INSERT_TARGET),
    )
    t.add_row(
        "upsert within 1.5x of bare merge",
        f"{upsert_ratio:.2f}x (vs bare + bounds: {upsert_bounds:.2f}x)",
        _verdict(upsert_ratio <= 1.5),
    )
    t.add_row("online lookup p99 < 100 µs", f"{p99:.1f} µs", _verdict(p99 < 100))
    _online_write_targets(t, results)
    console.print(t)


def _targets_table() -> Table:
    from rich.table import Table

    t = Table(title="Targets")
    for col in ("target", "measured", "verdict"):
        t.add_column(col)
    return t


def _online_write_table(console: Console, results: Result) -> None:
    from rich.table import Table

    c, wr = results["config"], results["online_write"]
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
        "redis_bare_binary": "bare redis-py pipelined MSET of numpy-packed rows",
    }
    for key, label in names.items():
        r = wr.get(key)
        if r is None:
            continue
        if "skipped" in r:
            t.add_row(label, f"[yellow]skipped: {r['skipped']}[/]", *([""] * 6))
            continue
        reference = wr["redis_bare" if key.startswith("redis") else "bare"]
        is_bare = key in ("bare", "redis_bare", "redis_bare_binary")
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


def _online_write_targets(t: Table, results: Result) -> None:
    c, wr = results["config"], results["online_write"]
    write_rate = c["online_rows"] / wr["write_latest"]["seconds"]
    insert_rate = c["online_rows"] / wr["insert_online"]["seconds"]
    # Rows per CPU second too: on a shared machine the wall clock also counts waiting.
    write_cpu = c["online_rows"] / wr["write_latest"]["cpu_seconds"]
    insert_cpu = c["online_rows"] / wr["insert_online"]["cpu_seconds"]
    t.add_row(
        "online write >= 500k rows/s (write_latest)",
        f"{write_rate:,.0f} rows/s ({write_cpu:,.0f} per CPU s)",
        _verdict(write_rate >= 500_000),
    )
    t.add_row(
        "online write >= 500k rows/s (fg.insert online part)",
        f"{insert_rate:,.0f} rows/s ({insert_cpu:,.0f} per CPU s)",
        _verdict(insert_rate >= 500_000),
    )
    if "seconds" not in wr["redis"]:
        return
    for key, floor in (("redis_bare", "JSON rows"), ("redis_bare_binary", "numpy-packed rows")):
        ratio = wr["redis"]["seconds"] / wr[key]["seconds"]
        t.add_row(
            f"Redis write_latest at least as fast as a bare pipelined MSET of {floor}",
            f"{ratio:.2f}x",
            _verdict(ratio <= 1.0),
        )
