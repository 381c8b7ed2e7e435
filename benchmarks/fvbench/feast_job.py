"""Feast on the benchmark's files, run by the Feast virtualenv's Python (not featurehouse's).

    benchmarks/.venv-feast/bin/python benchmarks/fvbench/feast_job.py offline|online \\
        --data DIR --store file|duckdb [--out result.parquet] [--warmup N --lookups N ...]

It sets up a Feast repo in a temporary directory (one entity, a FileSource over each
group's Parquet file, one FeatureView per group with a ttl longer than the data, applied
with ``FeatureStore.apply``), then times, in this process:

- ``offline``: ``get_historical_features(entity_df=spine, features=[30 refs]).to_df()``;
  the result goes to ``--out`` (after the clock) for the parent to compare.
- ``online``: ``materialize`` into the SQLite online store (timed apart), then
  ``get_online_features`` for one entity, and for batches of entities.

The last line it prints is ``RESULT <json>``: seconds, peak memory (VmHWM, through
``fgbench.measure.timed``), rows and a checksum of the values.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: fgbench, fvbench

from fgbench.measure import Result, timed

from fvbench.data import DAYS, START, feature_names, group_names
from fvbench.online import batches, latencies

TTL = timedelta(days=3650)  # longer than the data: no row is too old


def _store(data: Path, repo: Path, offline_store: str) -> tuple[Any, list[str]]:
    """A Feast repo under ``repo`` over the Parquet files in ``data``, applied."""
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64, Int64

    (repo / "feature_store.yaml").write_text(
        "project: fvbench\n"
        f"registry: {repo / 'registry.db'}\n"
        "provider: local\n"
        f"offline_store:\n  type: {offline_store}\n"
        f"online_store:\n  type: sqlite\n  path: {repo / 'online.db'}\n"
        "entity_key_serialization_version: 3\n"
    )
    entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
    views = []
    refs = []
    for group, name in enumerate(group_names(), start=1):
        features = feature_names(group)
        source = FileSource(
            name=f"{name}_source", path=str(data / f"{name}.parquet"), timestamp_field="ts"
        )
        schema = [Field(name="entity_id", dtype=Int64)]
        schema += [Field(name=f, dtype=Float64) for f in features]
        views.append(
            FeatureView(
                name=name, entities=[entity], ttl=TTL, schema=schema, source=source, online=True
            )
        )
        refs += [f"{name}:{f}" for f in features]
    store = FeatureStore(repo_path=str(repo))
    store.apply([entity, *views])
    return store, refs


def offline(data: Path, offline_store: str, out_file: Path) -> Result:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="fvbench-feast-") as tmp:
        store, refs = _store(data, Path(tmp), offline_store)
        spine = pq.read_table(data / "spine.parquet", memory_map=False).to_pandas()
        entity_df = spine.rename(columns={"ts": "event_timestamp"})
        del spine
        out: Result = {"store": offline_store}
        with timed(out):
            frame = store.get_historical_features(entity_df=entity_df, features=refs).to_df()
        out["rows"] = len(frame)
        features = [r.split(":")[1] for r in refs]
        out["checksum"] = float(frame[features].sum().sum())
        out["non_null"] = int(frame[features].notna().sum().sum())
        frame = frame.rename(columns={"event_timestamp": "ts"})
        if not isinstance(frame["ts"].dtype, pd.DatetimeTZDtype):
            frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out_file)
    return out


def online(
    data: Path, keys: list[int], warmup: int, lookups: int, batch: int, calls: int
) -> Result:
    """Materialize, then time ``get_online_features`` for one entity and for ``batch``."""
    with tempfile.TemporaryDirectory(prefix="fvbench-feast-") as tmp:
        store, refs = _store(data, Path(tmp), "duckdb")
        materialize: Result = {}
        with timed(materialize):
            store.materialize(START - timedelta(days=1), START + timedelta(days=DAYS + 1))
        first = refs[0].split(":")[1]
        features = len(store.get_online_features(refs, [{"entity_id": keys[0]}]).to_dict()) - 1

        def one(key: int) -> list[float | None]:
            return store.get_online_features(refs, [{"entity_id": key}]).to_dict()[first]

        def many(group: list[int]) -> list[float | None]:
            rows = [{"entity_id": k} for k in group]
            return store.get_online_features(refs, rows).to_dict()[first]

        single = latencies(one, keys[:warmup], keys[warmup : warmup + lookups])
        groups = batches(keys, batch, calls)
        many_out = latencies(many, groups[: max(1, calls // 10)], groups)
    return {
        "materialize": materialize,
        "single": {**single, "features": features},
        "batch": {**many_out, "batch": batch},
    }


def main() -> None:
    import feast

    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["offline", "online"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--store", choices=["file", "duckdb"], default="duckdb")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    args.data = args.data.resolve()
    if args.mode == "offline":
        result = offline(args.data, args.store, args.out)
    else:
        import pyarrow.parquet as pq

        keys = pq.read_table(args.data / "keys.parquet").column("entity_id").to_pylist()
        result = online(args.data, keys, args.warmup, args.lookups, args.batch, args.calls)
    result["feast_version"] = feast.__version__
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
