"""featurehouse feature views side by side with a hand-written DuckDB query and Feast.

    .venv/bin/python benchmarks/feature_views.py [--scale XS S M L] [--quick] [--no-feast] [--repeat N]

Training data (``fv.training_data(spine)``) at scale XS (1k entities, 10k-row spine), S
(10k, 100k), M (100k, 1M) and L (333k entities, 10M rows per group, 2M-row spine) against
three ASOF LEFT JOINs in DuckDB over the same Parquet files, the same in Polars, and
Feast's ``get_historical_features`` (file and DuckDB offline stores);
every result is checked row by row against the DuckDB one. Then online feature vectors
against Feast's ``get_online_features`` (SQLite). Feast runs in its own virtualenv
(``benchmarks/.venv-feast``, created on first use). The cases, the measuring and the
report live in the ``fvbench`` package beside this script. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import time

from fvbench.data import SCALES, Scale
from fvbench.report import report
from fvbench.runner import run

__all__ = ["main", "run"]

QUICK = 10  # --quick: scale S divided by this


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", nargs="+", choices=list(SCALES), default=["S", "M"], help="one or more"
    )
    parser.add_argument("--quick", action="store_true", help=f"scale S / {QUICK} only")
    parser.add_argument("--no-feast", action="store_true", help="skip the Feast contenders")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of featurehouse and DuckDB (best of)"
    )
    parser.add_argument("--lookups", type=int, default=10_000, help="timed 1-entity lookups")
    parser.add_argument("--calls", type=int, default=500, help="timed 100-entity calls")
    parser.add_argument("--feast-timeout", type=float, default=3_600, help="seconds per Feast run")
    parser.add_argument("--data-dir", help="where the temporary data goes (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    if args.quick:
        s = SCALES["S"]
        scales = [Scale("quick", s.entities // QUICK, s.spine_rows // QUICK)]
        lookups, calls = args.lookups // QUICK, args.calls // QUICK
    else:
        scales = [SCALES[n] for n in SCALES if n in args.scale]
        lookups, calls = args.lookups, args.calls
    started = time.perf_counter()
    results = run(
        scales,
        feast=not args.no_feast,
        repeat=args.repeat,
        warmup=lookups // 10,
        lookups=lookups,
        calls=calls,
        data_dir=args.data_dir,
        keep=args.keep,
        feast_timeout=args.feast_timeout,
        log=lambda message: print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True),
    )
    report(results)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
