"""Cases 1 and 2: insert and upsert into the offline (Delta) table, featurehouse vs bare
deltalake. Each function runs in its own spawned process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .data import read_table
from .measure import Result, timed, warm_imports

if TYPE_CHECKING:
    import pyarrow as pa


def _delta_layout(path: Path) -> Result:
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    return {"files": len(table.file_uris()), "table_rows": table.count()}


# -- 1. insert -------------------------------------------------------------------------------


def insert_featurehouse(data: Path, project: Path) -> Result:
    warm_imports()
    import featurehouse as fh

    table = read_table(data)
    fs = fh.connect(project)
    fg = fs.create_feature_group("tx", version=1, primary_key=["id"], event_time="ts", online=False)
    _ = fs._services.engine  # open DuckDB once, outside the timing
    out: Result = {}
    with timed(out):
        result = fg.insert(table)
    fs.close()
    out.update(rows_inserted=result.rows_inserted, rows_updated=result.rows_updated)
    return out | _delta_layout(project / "offline" / "tx_v1")


def insert_bare(data: Path, path: Path) -> Result:
    warm_imports()
    from deltalake import write_deltalake

    table = read_table(data)
    out: Result = {}
    with timed(out):
        write_deltalake(str(path), table, mode="append")
    out.update(rows_inserted=table.num_rows, rows_updated=0)
    return out | _delta_layout(path)


# -- 2. upsert -------------------------------------------------------------------------------

MERGE_METRICS = (
    "num_target_files_scanned",
    "num_target_files_skipped_during_scan",
    "num_target_files_added",
    "num_target_files_removed",
    "num_target_rows_copied",
)


def upsert_featurehouse(data: Path, project: Path) -> Result:
    warm_imports()
    from deltalake import DeltaTable

    import featurehouse as fh

    batch = read_table(data)
    fs = fh.connect(project)
    fg = fs.get_feature_group("tx", version=1)
    _ = fs._services.engine
    out: Result = {}
    with timed(out):
        result = fg.insert(batch)
    fs.close()
    path = project / "offline" / "tx_v1"
    metrics = DeltaTable(str(path)).history(1)[0]["operationMetrics"]
    out.update(rows_inserted=result.rows_inserted, rows_updated=result.rows_updated)
    out.update({k: metrics.get(k) for k in MERGE_METRICS})
    return out | _delta_layout(path)


def _bounds_predicate(batch: pa.Table) -> str:
    import pyarrow.compute as pc

    low, high = pc.min_max(batch.column("ts")).values()
    return f" AND t.ts >= '{low.as_py().isoformat()}' AND t.ts <= '{high.as_py().isoformat()}'"


def upsert_bare(data: Path, path: Path, bounds: bool) -> Result:
    warm_imports()
    from deltalake import DeltaTable

    batch = read_table(data)
    out: Result = {}
    with timed(out):
        predicate = "t.id = s.id AND t.ts = s.ts"
        if bounds:
            predicate += _bounds_predicate(batch)
        metrics = (
            DeltaTable(str(path))
            .merge(batch, predicate, source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    out.update(
        rows_inserted=metrics["num_target_rows_inserted"],
        rows_updated=metrics["num_target_rows_updated"],
    )
    out.update({k: metrics.get(k) for k in MERGE_METRICS})
    return out | _delta_layout(path)
