"""``run``: generate the data, build the project, then every step in its own spawned
process, then check that featurehouse and scikit-learn gave the same numbers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fgbench.data import read_table
from fgbench.measure import isolated, scratch_dir

from .batch import transform_featurehouse, transform_sklearn
from .data import make_data
from .online import latency_featurehouse, latency_sklearn
from .prepare import prepare

Result = dict[str, Any]


def compare(fh_path: Path, sk_path: Path, rtol: float = 1e-9, atol: float = 1e-12) -> Result:
    """featurehouse's output against scikit-learn's, column by column (matched by name)."""
    import numpy as np

    fh_table, sk_table = read_table(fh_path), read_table(sk_path)
    out: Result = {
        "rows": fh_table.num_rows,
        "columns": fh_table.num_columns,
        "same_names": sorted(fh_table.column_names) == sorted(sk_table.column_names),
        "same_rows": fh_table.num_rows == sk_table.num_rows,
        "max_abs_diff": 0.0,
        "mismatched": [],
    }
    if not (out["same_names"] and out["same_rows"]):
        out["equal"] = False
        return out
    for name in fh_table.column_names:
        ours = fh_table.column(name).to_numpy(zero_copy_only=False).astype(float)
        theirs = sk_table.column(name).to_numpy(zero_copy_only=False).astype(float)
        diff = np.abs(ours - theirs)
        out["max_abs_diff"] = max(out["max_abs_diff"], float(diff.max(initial=0.0)))
        if not np.allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True):
            out["mismatched"].append(name)
    out["equal"] = not out["mismatched"]
    return out


def run(
    entities: int = 100_000,
    spine_rows: int = 1_000_000,
    calls: int = 10_000,
    warmup: int | None = None,
    stride: int = 997,
    data_dir: str | Path | None = None,
    keep: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Result:
    """Every step; the results as ``{case: {contender: {metric: value}}}``."""
    warmup = min(1_000, max(10, calls // 10)) if warmup is None else warmup
    root = scratch_dir(data_dir, "fh-tfbench-")
    project = root / "fh"
    results: Result = {
        "config": {
            "entities": entities,
            "spine_rows": spine_rows,
            "calls": calls,
            "warmup": warmup,
            "data_dir": str(root),
            "load": os.getloadavg()[0],
        }
    }
    try:
        log(f"generating data under {root}")
        isolated(make_data, root, entities, spine_rows, warmup + calls)
        log(f"featurehouse project: 3 groups x {entities:,} entities, training dataset")
        results["prepare"] = isolated(prepare, root, project)
        log(f"1/2 feature vectors, {calls:,} calls: featurehouse")
        online = {"featurehouse": isolated(latency_featurehouse, root, project, warmup)}
        log("1/2 feature vectors: scikit-learn ColumnTransformer, one row")
        online["sklearn"] = isolated(latency_sklearn, root, warmup)
        online["check"] = compare(root / "fh_vectors.arrow", root / "sk_vectors.arrow")
        results["online"] = online
        log(f"2/2 transform {spine_rows:,} rows: featurehouse transform_table")
        batch = {"featurehouse": isolated(transform_featurehouse, root, project, stride)}
        log("2/2 transform: scikit-learn ColumnTransformer.transform")
        batch["sklearn"] = isolated(transform_sklearn, root, stride)
        batch["check"] = compare(root / "fh_batch.arrow", root / "sk_batch.arrow")
        results["batch"] = batch
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    return results
