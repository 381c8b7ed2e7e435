"""``run``: per scale, generate the data, set up featurehouse, then every contender, each in
its own process, and check every training-data result against the hand-written DuckDB one."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from fgbench.measure import Result, isolated, scratch_dir

from . import feast_env
from .compare import compare
from .data import Scale, make_data
from .offline import setup_featurehouse, training_duckdb, training_featurehouse, training_polars
from .online import online_featurehouse

# name -> (what the report calls it, Feast offline store or None)
OFFLINE = {
    "duckdb": ("hand-written DuckDB ASOF JOIN", None),
    "featurehouse": ("featurehouse fv.training_data", None),
    "polars": ("hand-written Polars join_asof", None),
    "feast_duckdb": ("Feast get_historical_features, DuckDB", "duckdb"),
    "feast_file": ("Feast get_historical_features, file (dask)", "file"),
}


def default_memory_cap_mib() -> float:
    """80% of the machine's memory: a Feast run past it is stopped rather than swap or OOM."""
    try:
        return 0.8 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (ValueError, OSError):
        return 16 * 1024.0


def featurehouse_commit() -> str:
    """The commit of the featurehouse that runs, and whether it has uncommitted changes."""
    import subprocess

    import featurehouse

    repo = Path(featurehouse.__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "featurehouse"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in featurehouse/" if dirty else "")


def run(
    scales: Sequence[Scale],
    feast: bool = True,
    online: bool = True,
    repeat: int = 3,
    warmup: int = 1_000,
    lookups: int = 10_000,
    batch: int = 100,
    calls: int = 500,
    data_dir: str | Path | None = None,
    keep: bool = False,
    feast_timeout: float = 3_600,
    feast_memory_cap_mib: float | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Result:
    """Every contender at every scale: ``{"config": ..., "scales": {name: {"offline": {
    contender: metrics}, "online": {contender: {"single": ..., "batch": ...}}}}}``."""
    cap = feast_memory_cap_mib or default_memory_cap_mib()
    root = scratch_dir(data_dir, "fv-bench-")
    results: Result = {
        "config": {
            "warmup": warmup,
            "lookups": lookups,
            "batch": batch,
            "calls": calls,
            "repeat": repeat,
            "data_dir": str(root),
            "load": os.getloadavg()[0],
            "commit": featurehouse_commit(),
            "feast": feast_env.ensure_venv(log) if feast else None,
        },
        "scales": {},
    }
    try:
        for scale in scales:
            results["scales"][scale.name] = _run_scale(
                scale, root / scale.name, feast, online, repeat, warmup, lookups, batch, calls,
                feast_timeout, cap, log,
            )  # fmt: skip
            if not keep:
                shutil.rmtree(root / scale.name, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return results


def _alternated(data: Path, project: Path, out: Path, repeat: int) -> Result:
    """DuckDB, featurehouse, Polars, DuckDB, ... ``repeat`` times each, one call per fresh
    process, so that a busy spell of the machine falls on all: the fastest run's figures,
    each run's seconds, the highest peak. The first run's result is kept for ``compare``."""
    calls: dict[str, Callable[[Path | None], Result]] = {
        "duckdb": lambda keep: isolated(training_duckdb, data, keep),
        "featurehouse": lambda keep: isolated(training_featurehouse, data, project, keep),
        "polars": lambda keep: isolated(training_polars, data, keep),
    }
    if importlib.util.find_spec("polars") is None:  # an optional extra of featurehouse
        del calls["polars"]
    runs: dict[str, list[Result]] = {key: [] for key in calls}
    for i in range(repeat):
        for key, call in calls.items():
            runs[key].append(call(out / f"{key}.parquet" if i == 0 else None))
    merged: Result = {}
    for key, results in runs.items():
        best = dict(min(results, key=lambda r: r["seconds"]))
        best["runs"] = [r["seconds"] for r in results]
        best["cpu_runs"] = [r["cpu_seconds"] for r in results]
        best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
        merged[key] = best
    return merged


def _run_scale(
    scale: Scale,
    root: Path,
    feast: bool,
    online: bool,
    repeat: int,
    warmup: int,
    lookups: int,
    batch: int,
    calls: int,
    feast_timeout: float,
    cap: float,
    log: Callable[[str], None],
) -> Result:
    name = f"scale {scale.name}"
    data, project, out = root / "data", root / "fh", root / "out"
    out.mkdir(parents=True)
    log(
        f"{name}: generating {scale.entities:,} entities x 3 groups, {scale.spine_rows:,} spine rows"
    )
    isolated(make_data, data, scale.entities, scale.spine_rows, warmup + lookups)
    log(f"{name}: featurehouse setup (3 online groups of {scale.group_rows:,} rows, the view)")
    setup = isolated(setup_featurehouse, data, project)
    log(f"{name}: training data, hand-written DuckDB, featurehouse, Polars, alternated x{repeat}")
    offline = _alternated(data, project, out, repeat)
    for key, (label, store) in OFFLINE.items():
        result_file = out / f"{key}.parquet"
        if store is not None and feast:
            log(f"{name}: training data, {label}")
            args = ["offline", "--data", str(data), "--store", str(store)]
            args += ["--out", str(result_file)]
            offline[key] = feast_env.run_job(args, out / f"{key}.log", feast_timeout, cap)
        if key not in offline:
            continue
        if "skipped" in offline[key]:
            log(f"{name}: {label} {offline[key]['skipped']}")
            continue
        if key != "duckdb":  # the reference
            offline[key]["correctness"] = compare(
                out / "duckdb.parquet", result_file, data, scale.spine_rows
            )
    scale_result: Result = {"scale": asdict(scale), "setup": setup, "offline": offline}
    if not online:
        return scale_result
    log(f"{name}: online, featurehouse")
    sizes = [str(v) for v in (warmup, lookups, batch, calls)]
    on: Result = {
        "featurehouse": isolated(online_featurehouse, data, project, warmup, lookups, batch, calls)
    }
    if feast:
        log(f"{name}: online, Feast (materialize, then get_online_features)")
        args = ["online", "--data", str(data), "--warmup", sizes[0], "--lookups", sizes[1]]
        args += ["--batch", sizes[2], "--calls", sizes[3]]
        on["feast"] = feast_env.run_job(args, out / "feast_online.log", feast_timeout, cap)
    scale_result["online"] = on
    return scale_result
