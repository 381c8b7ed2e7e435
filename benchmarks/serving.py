"""featurehouse's HTTP service side by side with Feast's Python feature server.

    .venv/bin/python benchmarks/serving.py [--quick] [--no-feast] [--soak] [--soak-seconds N]

The same 100k entities x 30 float features behind ``featurehouse serve`` (an online group
and a view; SQLite) and ``feast serve`` (``feast apply`` + ``feast materialize``; SQLite),
each in its own process on a free loopback port: sequential latency of one feature vector
(one keep-alive connection), throughput with wrk (8 connections, 2 threads), the
predictions endpoint with a small XGBoost model, and optionally a soak at a steady rate
with the server's memory sampled. The parts live in the ``servebench`` package beside this
script. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# The servers run this checkout's featurehouse: so do the setup and the report's commit.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servebench.data import ENTITIES
from servebench.report import report
from servebench.runner import run

__all__ = ["main", "run"]

QUICK = {"entities": 10_000, "lookups": 500, "warmup": 100, "wrk_seconds": 3.0, "soak": 30.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and short")
    parser.add_argument("--no-feast", action="store_true", help="skip the Feast servers")
    parser.add_argument("--no-extra", action="store_true",
                        help="skip the featurehouse 2-worker and Feast tuned servers")  # fmt: skip
    parser.add_argument("--entities", type=int, default=ENTITIES)
    parser.add_argument("--lookups", type=int, default=5_000, help="timed sequential requests")
    parser.add_argument("--wrk-seconds", type=float, default=20.0)
    parser.add_argument("--soak", action="store_true", help="also the soak (default 10 min)")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--soak-rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--data-dir", help="where the temporary data goes (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    sizes = {
        "entities": args.entities,
        "lookups": args.lookups,
        "warmup": max(100, args.lookups // 10),
        "wrk_seconds": args.wrk_seconds,
    }
    soak_seconds = args.soak_seconds if args.soak else 0.0
    if args.quick:
        sizes = {k: v for k, v in QUICK.items() if k != "soak"}
        soak_seconds = QUICK["soak"] if args.soak else 0.0
    started = time.perf_counter()
    results = run(
        **sizes,  # type: ignore[arg-type]
        feast=not args.no_feast,
        feast_tuned=not args.no_extra,
        two_workers=not args.no_extra,
        soak_seconds=soak_seconds,
        soak_rate=args.soak_rate,
        data_dir=args.data_dir,
        keep=args.keep,
        log=lambda message: print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True),
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    report(results)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
