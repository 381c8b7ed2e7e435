"""The report: one rich table per case with the ratio to scikit-learn's
``ColumnTransformer``, the value checks, then the target with PASS or MISS."""

from __future__ import annotations

import multiprocessing
import platform
from typing import Any

from fgbench.report import _num, _ratio, _verdict

from .features import GROUPS, ON_DEMAND

Result = dict[str, Any]
TARGET_P99_US = 300.0
TARGET_ROWS = 1_000_000  # the transform step's targets are set at this size


def _check(check: Result) -> str:
    if check["equal"]:
        return (
            f"[green]same values[/]: {check['rows']:,} rows x {check['columns']} columns equal "
            f"to ColumnTransformer's (matched by name; max |diff| {check['max_abs_diff']:.1e})"
        )
    return f"[red]VALUES DIFFER[/]: {check}"


def report(results: Result) -> None:
    import numpy
    import pandas
    import pyarrow
    import sklearn
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    c = results["config"]
    console.print(
        f"[bold]featurehouse transforms vs scikit-learn[/]  python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, pandas {pandas.__version__}, numpy "
        f"{numpy.__version__}, pyarrow {pyarrow.__version__}, {multiprocessing.cpu_count()} "
        f"CPUs, load average at start {c['load']:.2f}. Each contender ran in its own spawned "
        "process; ratio = this / ColumnTransformer.transform (time; < 1 means faster)."
    )

    on = results["online"]
    fh, sk = on["featurehouse"], on["sklearn"]
    reference = sk["transform"]
    t = Table(
        title=f"1. One feature vector: {GROUPS} online groups x 10 features, {len(ON_DEMAND)} "
        f"on-demand, 30 transformed ({fh['columns_out']} columns out); {c['entities']:,} "
        f"entities, {reference['calls']:,} calls after {c['warmup']:,} warm-up calls"
    )
    columns = ["contender", "p50 µs", "p99 µs", "mean µs", "max µs", "calls/s", "CPU p50 µs"]
    for col in [*columns, "CPU p99 µs", "/ CT p50", "/ CT p99"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    rows = [
        ("featurehouse get_feature_vector(transformed=True)", fh["transformed"]),
        ("  of which: get_feature_vector(transformed=False)", fh["raw"]),
        ("  of which: transform_vector alone", fh["transform_only"]),
        ("sklearn ColumnTransformer.transform(1-row DataFrame)", reference),
        ("sklearn pd.DataFrame([vector]) + .transform", sk["with_frame"]),
    ]
    for label, r in rows:
        t.add_row(
            label,
            _num(r["p50_us"], 1),
            _num(r["p99_us"], 1),
            _num(r["mean_us"], 1),
            _num(r["max_us"], 0),
            f"{1e6 / r['mean_us']:,.0f}",
            _num(r["cpu_p50_us"], 1),
            _num(r["cpu_p99_us"], 1),
            _ratio(r["p50_us"], reference["p50_us"]) if r is not reference else "",
            _ratio(r["p99_us"], reference["p99_us"]) if r is not reference else "",
        )
    console.print(t)
    console.print("   " + _check(on["check"]))

    ba = results["batch"]
    fb, sb = ba["featurehouse"], ba["sklearn"]
    t = Table(
        title=f"2. Transform step over the {fb['rows']:,} rows of the training dataset "
        f"({fb['columns_out']} columns out; fit on its {fb['train_rows']:,} train rows)"
    )
    columns = ["contender", "fit s", "transform s", "CPU s", "rows/s", "peak RSS MiB"]
    for col in [*columns, "+step MiB", "/ CT (time)"]:
        t.add_column(col, justify="left" if col == "contender" else "right")
    rows = [
        ("featurehouse transform_table (Arrow table)", fb),
        ("sklearn ColumnTransformer.transform (DataFrame)", sb),
    ]
    for label, r in rows:
        t.add_row(
            label,
            _num(r["fit_seconds"], 3),
            _num(r["seconds"], 3),
            _num(r["cpu_seconds"], 3),
            f"{r['rows'] / r['seconds']:,.0f}",
            _num(r["peak_rss_mib"], 0),
            _num(r["peak_rss_mib"] - r["rss_before_mib"], 0),
            _ratio(r["seconds"], sb["seconds"]) if r is not sb else "",
        )
    console.print(t)
    console.print(
        f"   fit: featurehouse.transforms.apply.fit vs ColumnTransformer.fit. Not timed: "
        f"Arrow -> pandas for scikit-learn took {sb['to_pandas_seconds']:.3f} s."
    )
    console.print("   " + _check(ba["check"]))

    t = Table(title="Targets")
    for col in ("target", "measured", "verdict"):
        t.add_column(col)
    p99 = fh["transformed"]["p99_us"]
    t.add_row(
        f"get_feature_vector(transformed=True) p99 < {TARGET_P99_US:.0f} µs",
        f"{p99:.1f} µs",
        _verdict(p99 < TARGET_P99_US),
    )
    cpu_p99 = fh["transformed"]["cpu_p99_us"]
    t.add_row(
        f"  the same, CPU time per call p99 < {TARGET_P99_US:.0f} µs (not inflated by a busy CPU)",
        f"{cpu_p99:.1f} µs",
        _verdict(cpu_p99 < TARGET_P99_US),
    )
    size = "" if fb["rows"] >= TARGET_ROWS else f" (measured at {fb['rows']:,} rows, not 1M)"
    for step, key in (("transform", "seconds"), ("fit", "fit_seconds")):
        ratio = fb[key] / sb[key]
        t.add_row(
            f"{step} step at {TARGET_ROWS:,} rows: featurehouse / ColumnTransformer <= 1.0",
            f"{ratio:.2f}x ({fb[key]:.3f} s vs {sb[key]:.3f} s){size}",
            _verdict(ratio <= 1.0),
        )
    for case, check in (("feature vectors", on["check"]), ("transform step", ba["check"])):
        t.add_row(
            f"{case}: same values as ColumnTransformer",
            f"max |diff| {check['max_abs_diff']:.1e}, mismatched {check['mismatched']}",
            _verdict(check["equal"]),
        )
    console.print(t)
