"""Online feature vectors from featurehouse (SQLite online store, filled by the setup's
inserts): one entity per call, and batches of entities, side by side with the raw-SQLite
floor of a batch. Runs in its own spawned process."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
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


Call = Callable[[Any], list[float | None]]


def latencies(call: Call, warm: Sequence[Any], args: Sequence[Any]) -> Result:
    """Time ``call`` once per argument of ``args``, after one untimed call per argument of
    ``warm``; ``call`` returns the first feature of each entity (for found and checksum)."""
    return side_by_side({"call": call}, warm, args)["call"]


def side_by_side(calls: Mapping[str, Call], warm: Sequence[Any], args: Sequence[Any]) -> Result:
    """``latencies`` of several calls taking turns on each argument, so that a busy spell
    of the machine falls on all of them alike."""
    for arg in warm:
        for call in calls.values():
            call(arg)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    found, checksum = dict.fromkeys(calls, 0), dict.fromkeys(calls, 0.0)
    out: Result = {}
    with timed(out):
        for arg in args:
            for name, call in calls.items():
                start = time.perf_counter()
                values = call(arg)
                timings[name].append(time.perf_counter() - start)
                found[name] += sum(v is not None for v in values)
                checksum[name] += sum(v for v in values if v is not None)
    return {
        name: {
            **out,
            **percentiles(timings[name]),
            "found": found[name],
            "checksum": checksum[name],
        }
        for name in calls
    }


def sqlite_floor(project: Path) -> Call:
    """The floor of a batch read: per group table, ``SELECT * ... WHERE entity_id IN (...)``
    on the featurehouse online file, rows fetched, nothing decoded or joined."""
    connection = sqlite3.connect(project / "online.db")
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'fg_*' ORDER BY name"
        )
    ]

    def read(group: list[int]) -> list[float | None]:
        marks = ", ".join("?" * len(group))
        for table in tables:
            connection.execute(
                f'SELECT * FROM "{table}" WHERE entity_id IN ({marks})', group
            ).fetchall()
        return []

    return read


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
    floor = sqlite_floor(project)
    many_out = side_by_side({"batch": many, "floor": floor}, groups[: max(1, calls // 10)], groups)
    fs.close()
    return {
        "single": {**single, "features": features},
        "batch": {**many_out["batch"], "batch": batch},
        "floor": {**many_out["floor"], "batch": batch},
    }
