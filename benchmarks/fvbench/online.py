"""Online feature vectors from featurehouse (SQLite online store, filled by the setup's
inserts): one entity per call, and batches of entities. Runs in its own spawned process."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fgbench.measure import Result, timed, warm_imports

from .data import feature_names, read_parquet
from .offline import VIEW


def percentiles(timings: Sequence[float]) -> Result:
    us = sorted(t * 1e6 for t in timings)
    return {
        "calls": len(us),
        "p50_us": statistics.median(us),
        "p99_us": us[min(len(us) - 1, int(len(us) * 0.99))],
        "mean_us": statistics.fmean(us),
        "max_us": us[-1],
    }


def latencies(
    call: Callable[[Any], list[float | None]], warm: Sequence[Any], args: Sequence[Any]
) -> Result:
    """Time ``call`` once per argument of ``args``, after one untimed call per argument of
    ``warm``; ``call`` returns the first feature of each entity (for found and checksum)."""
    for arg in warm:
        call(arg)
    timings, found, checksum = [], 0, 0.0
    out: Result = {}
    with timed(out):
        for arg in args:
            start = time.perf_counter()
            values = call(arg)
            timings.append(time.perf_counter() - start)
            found += sum(v is not None for v in values)
            checksum += sum(v for v in values if v is not None)
    out.update(percentiles(timings), found=found, checksum=checksum)
    return out


def batches(keys: list[int], batch: int, calls: int) -> list[list[int]]:
    """``calls`` lists of ``batch`` keys (cycling through ``keys``)."""
    return [[keys[(c * batch + i) % len(keys)] for i in range(batch)] for c in range(calls)]


def online_featurehouse(
    data: Path, project: Path, warmup: int, lookups: int, batch: int, calls: int
) -> Result:
    warm_imports()
    import featurehouse as fh

    keys = read_parquet(data / "keys.parquet").column("entity_id").to_pylist()
    fs = fh.connect(project)
    view = fs.get_feature_view(VIEW)
    first = feature_names(1)[0]
    features = len(view.get_feature_vector({"entity_id": keys[0]}))

    def one(key: int) -> list[float | None]:
        return [view.get_feature_vector({"entity_id": key})[first]]

    def many(group: list[int]) -> list[float | None]:
        vectors = view.get_feature_vectors([{"entity_id": k} for k in group]).to_arrow()
        return vectors.column(first).to_pylist()  # type: ignore[no-any-return]

    single = latencies(one, keys[:warmup], keys[warmup : warmup + lookups])
    groups = batches(keys, batch, calls)
    many_out = latencies(many, groups[: max(1, calls // 10)], groups)
    fs.close()
    return {"single": {**single, "features": features}, "batch": {**many_out, "batch": batch}}
