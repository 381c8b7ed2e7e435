"""featurehouse's model-dependent transforms side by side with scikit-learn, in one run.

    .venv/bin/python benchmarks/transforms.py [--entities N] [--rows M] [--calls K] [--quick]

1. ``fv.get_feature_vector(entity, request=..., transformed=True)`` for a view of 3 online
   groups x 10 features (standard_scaler, min_max_scaler, one_hot_encoder) and 2 on-demand
   features, bound to a training dataset: p50 / p99 over K calls, vs a fitted scikit-learn
   ``ColumnTransformer`` transforming one row (a 1-row pandas DataFrame).
2. The transform step over the M-row training dataset: ``transform_table`` vs
   ``ColumnTransformer.transform``, rows/s.

Both cases check that the two give the same numbers. Every measured step runs in its own
spawned process; the steps, the measuring and the report live in the ``tfbench`` package
beside this script (timing and memory from ``fgbench.measure``).
"""

from __future__ import annotations

import argparse
import time

from tfbench.report import report
from tfbench.runner import run

__all__ = ["QUICK", "main", "run"]

# --quick: a smoke run of a few seconds (the configuration the smoke test runs)
QUICK = {"entities": 1_000, "spine_rows": 10_000, "calls": 100, "warmup": 10}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=100_000, help="entities per group")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the training set")
    parser.add_argument("--calls", type=int, default=10_000, help="timed feature vectors")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK}")
    parser.add_argument("--data-dir", help="where the temporary data goes (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    sizes = (
        dict(QUICK)
        if args.quick
        else {"entities": args.entities, "spine_rows": args.rows, "calls": args.calls}
    )
    started = time.perf_counter()
    results = run(
        **sizes,
        data_dir=args.data_dir,
        keep=args.keep,
        log=lambda message: print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True),
    )
    report(results)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
