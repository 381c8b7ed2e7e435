"""Case 1: one transformed feature vector. Each function runs in its own spawned process.

featurehouse: ``fv.get_feature_vector(entity, request=..., transformed=True)`` (3 online
lookups in SQLite, the on-demand features, the 30 transforms), then the same untransformed,
then ``transform_vector`` alone on the untransformed vectors. scikit-learn: the fitted
``ColumnTransformer`` transforming one row, a 1-row pandas DataFrame of the same
untransformed vector, built outside the clock and then inside it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fgbench.data import read_table, write_table

from .features import KEY, REQUEST, column_transformer
from .prepare import VIEW

Result = dict[str, Any]


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def summary(wall: list[float], cpu: list[float]) -> Result:
    """p50, p99, mean and max in µs of the timed calls (wall clock), and p50 and p99 of
    their CPU time, which waiting for a busy CPU does not inflate."""
    us, cpu_us = sorted(s * 1e6 for s in wall), sorted(s * 1e6 for s in cpu)
    return {
        "calls": len(us),
        "p50_us": statistics.median(us),
        "p99_us": _p99(us),
        "mean_us": statistics.fmean(us),
        "max_us": us[-1],
        "cpu_p50_us": statistics.median(cpu_us),
        "cpu_p99_us": _p99(cpu_us),
    }


def _timed_calls(call: Callable[[Any], Any], inputs: Iterable[Any]) -> tuple[Result, list[Any]]:
    wall, cpu, outputs = [], [], []
    for item in inputs:
        start_cpu, start = time.process_time(), time.perf_counter()
        output = call(item)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        outputs.append(output)
    return summary(wall, cpu), outputs


def latency_featurehouse(root: Path, project: Path, warmup: int) -> Result:
    import pyarrow as pa

    import featurehouse as fh
    from featurehouse.transforms.apply import transform_vector

    requests = read_table(root / "requests.arrow").to_pylist()
    fs = fh.connect(project)
    fv = fs.get_feature_view(VIEW)
    transforms = fv.transforms
    stats = fv.get_training_dataset(fv.serving_dataset).statistics

    def vector(item: dict[str, Any], transformed: bool) -> dict[str, Any]:
        request = {REQUEST: item[REQUEST]}
        return fv.get_feature_vector({KEY: item[KEY]}, request=request, transformed=transformed)

    for item in requests[:warmup]:
        vector(item, True)
    measured = requests[warmup:]
    out: Result = {}
    out["transformed"], transformed = _timed_calls(lambda r: vector(r, True), measured)
    out["raw"], raw = _timed_calls(lambda r: vector(r, False), measured)
    out["transform_only"], again = _timed_calls(
        lambda v: transform_vector(v, transforms, stats), raw
    )
    fs.close()
    assert again == transformed, "transform_vector differs from get_feature_vector"
    out["columns_out"] = len(transformed[0])
    write_table(pa.Table.from_pylist(raw), root / "raw_vectors.arrow")
    write_table(pa.Table.from_pylist(transformed), root / "fh_vectors.arrow")
    return out


def latency_sklearn(root: Path, warmup: int) -> Result:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    ct = column_transformer().fit(read_table(root / "train.arrow").to_pandas())
    rows = read_table(root / "raw_vectors.arrow").to_pylist()
    for row in rows[:warmup]:
        ct.transform(pd.DataFrame([row]))
    frames = (pd.DataFrame([row]) for row in rows)  # built outside the clock
    out: Result = {}
    out["transform"], outputs = _timed_calls(ct.transform, frames)
    out["with_frame"], _ = _timed_calls(lambda r: ct.transform(pd.DataFrame([r])), rows)
    names = [str(n) for n in ct.get_feature_names_out()]
    matrix = np.vstack(outputs).astype(float)
    table = pa.table({name: matrix[:, i] for i, name in enumerate(names)})
    write_table(table, root / "sk_vectors.arrow")
    out["columns_out"] = len(names)
    return out
