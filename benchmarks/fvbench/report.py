"""The report: per scale, a training-data table (time, memory, rows, correctness, ratios)
and an online table (latency percentiles), then the targets with PASS or MISS."""

from __future__ import annotations

import multiprocessing
import platform
from pathlib import Path
from typing import Any

from fgbench.measure import Result
from fgbench.report import _int, _num, _ratio, _verdict

from .data import DAYS, FEATURES, GROUPS
from .runner import OFFLINE

# The targets: featurehouse time / DuckDB time at most (its peak memory of the call no
# higher than DuckDB's), Feast DuckDB time / featurehouse time at least (per scale),
# online latencies at most.
WITHIN_DUCKDB = 1.1
FASTER_THAN_FEAST = {"S": 4.0, "M": 10.0}
SINGLE_P50_US, SINGLE_P99_US, BATCH_P50_US = 70.0, 150.0, 1_000.0
WITHIN_FLOOR = 2.0  # a batch's p50 / the raw-SQLite floor's p50, at most


def _correctness(r: Result) -> str:
    c = r.get("correctness")
    if c is None:  # the reference itself
        return "(the reference)"
    if c["identical"]:
        return "[green]identical[/]"
    parts = []
    if c["missing"]:
        parts.append(f"{c['missing']:,} missing ({c['missing_no_row']:,} with no earlier row)")
    if c["extra"] or c["duplicates"]:
        parts.append(f"{c['extra']:,} extra, {c['duplicates']:,} duplicated")
    if c["mismatching_rows"]:
        parts.append(
            f"{c['mismatching_rows']:,} rows / {c['mismatching_values']:,} values differ "
            f"({c['mismatching_exact_time']:,} of the {c['exact_time_rows']:,} spine rows at "
            "exactly a group row's time)"
        )
    return "[red]" + "; ".join(parts) + "[/]"


def _offline_table(name: str, s: Result) -> Any:
    from rich.table import Table

    scale, offline = s["scale"], s["offline"]
    t = Table(
        title=f"Training data, scale {name}: spine of {scale['spine_rows']:,} rows, {GROUPS} groups "
        f"x {scale['entities'] * DAYS:,} rows ({scale['entities']:,} entities x {DAYS} days) x "
        f"{FEATURES} features"
    )
    columns = ["contender", "seconds", "runs s", "CPU s", "peak RSS MiB", "+step MiB", "rows"]
    for col in [*columns, "correctness vs DuckDB", "÷ DuckDB", "÷ featurehouse"]:
        t.add_column(col, justify="left" if col.startswith("c") else "right")
    duck = offline.get("duckdb", {}).get("seconds")
    fh = offline.get("featurehouse", {}).get("seconds")
    for key, (label, _) in OFFLINE.items():
        r = offline.get(key)
        if r is None:
            continue
        if "skipped" in r:
            t.add_row(label, f"[yellow]{r['skipped']}[/]", *([""] * 8))
            continue
        t.add_row(
            label,
            _num(r["seconds"]),
            " / ".join(f"{x:.2f}" for x in r.get("runs", [r["seconds"]])),
            _num(r["cpu_seconds"]),
            _num(r["peak_rss_mib"], 0),
            _num(r["peak_rss_mib"] - r["rss_before_mib"], 0),
            f"{_int(r['rows'])} / {_int(scale['spine_rows'])}",
            _correctness(r),
            _ratio(r["seconds"], duck) if key != "duckdb" else "",
            _ratio(r["seconds"], fh) if key != "featurehouse" else "",
        )
    return t


def _online_table(name: str, s: Result, c: Result) -> Any:
    from rich.table import Table

    on = s["online"]
    t = Table(
        title=f"Online feature vectors, scale {name}: {GROUPS * FEATURES} features from {GROUPS} "
        f"groups (SQLite online stores), after {c['warmup']:,} warm-up calls"
    )
    columns = ["contender", "entities / call", "calls", "p50 µs", "p99 µs", "mean µs", "max µs"]
    for col in [*columns, "found", "features", "peak RSS MiB", "÷ featurehouse p50"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    labels = {
        ("featurehouse", "single"): "featurehouse fv.get_feature_vector",
        ("feast", "single"): "Feast get_online_features",
        ("featurehouse", "batch"): "featurehouse fv.get_feature_vectors",
        ("feast", "batch"): "Feast get_online_features",
        ("featurehouse", "floor"): f"raw SQLite floor: {GROUPS} SELECT ... IN (...)",
    }
    for (key, kind), label in labels.items():
        r = on.get(key)
        if r is None:
            continue
        if "skipped" in r:
            t.add_row(label, f"[yellow]{r['skipped']}[/]", *([""] * 9))
            continue
        if kind not in r:  # a run from before the floor was measured
            continue
        m = r[kind]
        fh = on["featurehouse"][kind]
        t.add_row(
            label,
            _int(m.get("batch", 1)),
            _int(m["calls"]),
            _num(m["p50_us"], 1),
            _num(m["p99_us"], 1),
            _num(m["mean_us"], 1),
            _num(m["max_us"], 0),
            _int(m["found"]),
            _int(r["single"]["features"]),
            _num(m["peak_rss_mib"], 0),
            _ratio(m["p50_us"], fh["p50_us"]) if key != "featurehouse" else "",
        )
    if "floor" in on["featurehouse"]:
        t.caption = (
            "raw SQLite floor: the batch's rows fetched from the same tables, not decoded or "
            "joined, timed taking turns with fv.get_feature_vectors on the same batches"
        )
    return t


def _targets(results: Result) -> Any:
    from rich.table import Table

    t = Table(title="Targets")
    for col in ("scale", "target", "measured", "verdict"):
        t.add_column(col)
    for name, s in results["scales"].items():
        off = s["offline"]
        fh, duck = off["featurehouse"], off["duckdb"]
        ratio = fh["seconds"] / duck["seconds"]
        cpu = min(fh.get("cpu_runs", [fh["cpu_seconds"]])) / min(
            duck.get("cpu_runs", [duck["cpu_seconds"]])
        )
        t.add_row(
            name,
            f"within {WITHIN_DUCKDB}x of hand-written DuckDB (first call, fresh process)",
            f"{ratio:.2f}x (least CPU time: {cpu:.2f}x)",
            _verdict(ratio <= WITHIN_DUCKDB),
        )
        step, duck_step = (r["peak_rss_mib"] - r["rss_before_mib"] for r in (fh, duck))
        t.add_row(
            name,
            "memory of the call (+step) no higher than hand-written DuckDB's",
            f"{step:,.0f} MiB vs {duck_step:,.0f} MiB (peak RSS {fh['peak_rss_mib']:,.0f} vs "
            f"{duck['peak_rss_mib']:,.0f})",
            _verdict(step <= duck_step),
        )
        feast = {k: off[k] for k in ("feast_duckdb", "feast_file") if "seconds" in off.get(k, {})}
        if "feast_duckdb" in feast and name in FASTER_THAN_FEAST:
            need, speedup = (
                FASTER_THAN_FEAST[name],
                feast["feast_duckdb"]["seconds"] / fh["seconds"],
            )
            t.add_row(
                name,
                f">= {need:g}x faster than Feast DuckDB",
                f"{speedup:.2f}x",
                _verdict(speedup >= need),
            )
        if feast:
            peaks = ", ".join(f"{k} {v['peak_rss_mib']:,.0f}" for k, v in feast.items())
            lowest = min(v["peak_rss_mib"] for v in feast.values())
            t.add_row(
                name,
                "peak memory no higher than Feast's",
                f"{fh['peak_rss_mib']:,.0f} MiB (Feast: {peaks})",
                _verdict(fh["peak_rss_mib"] <= lowest),
            )
        c = fh["correctness"]
        t.add_row(
            name,
            "identical values to hand-written DuckDB",
            f"{c['rows']:,} rows, {c['mismatching_values']:,} values differ",
            _verdict(c["identical"]),
        )
        if "online" not in s:
            continue
        single, batch = s["online"]["featurehouse"]["single"], s["online"]["featurehouse"]["batch"]
        t.add_row(
            name,
            f"1 entity: p50 < {SINGLE_P50_US:g} µs, p99 < {SINGLE_P99_US:g} µs",
            f"p50 {single['p50_us']:.1f} µs, p99 {single['p99_us']:.1f} µs",
            _verdict(single["p50_us"] < SINGLE_P50_US and single["p99_us"] < SINGLE_P99_US),
        )
        t.add_row(
            name,
            f"{batch['batch']} entities: p50 < {BATCH_P50_US / 1000:g} ms",
            f"p50 {batch['p50_us'] / 1000:.2f} ms",
            _verdict(batch["p50_us"] < BATCH_P50_US),
        )
        floor = s["online"]["featurehouse"].get("floor")
        if floor is not None:
            ratio = batch["p50_us"] / floor["p50_us"]
            t.add_row(
                name,
                f"{batch['batch']} entities: p50 within {WITHIN_FLOOR:g}x of raw SQLite",
                f"{ratio:.2f}x (floor p50 {floor['p50_us'] / 1000:.2f} ms)",
                _verdict(ratio <= WITHIN_FLOOR),
            )
    return t


def report(results: Result) -> None:
    import duckdb
    import pyarrow
    from rich.console import Console

    import featurehouse

    console = Console(width=200)
    c = results["config"]
    console.print(
        f"[bold]featurehouse feature views vs hand-written DuckDB and Feast[/]  python "
        f"{platform.python_version()}, featurehouse {featurehouse.__version__} (commit {c['commit']}, "
        f"{Path(featurehouse.__file__).parent}), duckdb "
        f"{duckdb.__version__}, pyarrow {pyarrow.__version__}, Feast {c['feast'] or 'not run'}, "
        f"{multiprocessing.cpu_count()} CPUs, load average at start {c['load']:.2f}. Each "
        f"timed call ran in a fresh process; DuckDB, featurehouse and Polars alternately, "
        f"{c['repeat']} times each (seconds and CPU s = the fastest run, runs s = each run), Feast once. Peak RSS = the peak resident "
        "memory during the timed call (VmHWM, the spine and libraries included; the highest "
        "of the runs), +step = that peak minus the RSS when the call began. ÷ = this "
        "contender's seconds / the other's."
    )
    for name, s in results["scales"].items():
        console.print(_offline_table(name, s))
        if "online" in s:
            console.print(_online_table(name, s, c))
            feast = s["online"].get("feast", {})
            if "materialize" in feast:
                m = feast["materialize"]
                console.print(
                    f"   Feast materialize into SQLite (untimed above): {m['seconds']:.1f} s, "
                    f"peak RSS {m['peak_rss_mib']:,.0f} MiB"
                )
    console.print(_targets(results))
