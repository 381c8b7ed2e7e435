"""featurehouse side by side with the bare libraries doing the same work, in one run.

    .venv/bin/python benchmarks/feature_groups.py [--rows N] [--upsert-rows M] [--quick]

Every measured step runs in its own spawned process (deltalake panics in forked children),
so that its peak resident memory (VmHWM, reset when the step begins) is its own. The cases,
the measuring and the report live in the ``fgbench`` package beside this script, which is
only the command line. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import time

from fgbench.report import report
from fgbench.runner import run

__all__ = ["main", "run"]

QUICK = 20  # --quick divides every size by this


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
    parser.add_argument(
        "--only-online-write", action="store_true", help="run case 4 (online write) alone"
    )
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
        only_online_write=args.only_online_write,
        log=lambda message: print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True),
    )
    report(results)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
