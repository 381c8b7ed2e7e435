"""Training data: featurehouse ``fv.training_data(spine)``, the hand-written DuckDB ASOF
query over the same Parquet files (the floor) and the same in Polars (a second floor).
Each function runs in its own spawned process (``runner`` alternates them ``repeat``
times, as they are close and the machine may be busy); the result goes to a Parquet file
(after the clock) for ``compare``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fgbench.measure import Result, timed, warm_imports

from .data import GROUPS, all_features, feature_names, group_names, read_parquet

if TYPE_CHECKING:
    import pyarrow as pa

VIEW = "bench"


def setup_featurehouse(data: Path, project: Path) -> Result:
    """Three online feature groups filled from the Parquet files, and the feature view."""
    import time

    import featurehouse as fh

    fs = fh.connect(project)
    groups = []
    seconds = {}
    for name in group_names():
        group = fs.create_feature_group(
            name, version=1, primary_key=["entity_id"], event_time="ts", online=True
        )
        table = read_parquet(data / f"{name}.parquet")
        start = time.perf_counter()
        group.insert(table)
        seconds[name] = time.perf_counter() - start
        groups.append(group)
    query = groups[0].select(feature_names(1))
    for number, group in enumerate(groups[1:], start=2):
        query = query.join(group.select(feature_names(number)), on="entity_id")
    fs.create_feature_view(VIEW, query=query)
    fs.close()
    return {"insert_seconds": seconds}


def _summary(table: pa.Table, out: Result, out_file: Path | None) -> None:
    """Rows, a checksum of the feature values, and the table written for ``compare``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    features = all_features()
    out["rows"] = table.num_rows
    out["checksum"] = float(sum(pc.sum(table.column(f)).as_py() or 0.0 for f in features))
    out["non_null"] = int(sum(table.num_rows - table.column(f).null_count for f in features))
    if out_file is not None:
        pq.write_table(table, out_file)


def training_featurehouse(data: Path, project: Path, out_file: Path | None) -> Result:
    warm_imports()
    # featurehouse's modules that the call loads on first use: compiling them (no .pyc when
    # PYTHONDONTWRITEBYTECODE is set) is a cost of the process, as importing DuckDB is.
    import featurehouse as fh
    import featurehouse.engine.duckdb
    import featurehouse.offline.delta

    fs = fh.connect(project)
    view = fs.get_feature_view(VIEW)
    spine = read_parquet(data / "spine.parquet")
    out: Result = {}
    with timed(out):
        table = view.training_data(spine=spine).to_arrow()
    _summary(table, out, out_file)
    fs.close()
    return out


def asof_sql(files: list[str]) -> str:
    """The hand-written query: three ASOF LEFT JOINs of the spine, in spine order."""
    joins = []
    for group, path in enumerate(files, start=1):
        alias = f"g{group}"
        joins.append(
            f"ASOF LEFT JOIN read_parquet('{path}') {alias} "
            f"ON s.entity_id = {alias}.entity_id AND s.ts >= {alias}.ts"
        )
    columns = ", ".join(f"g{g}.{f}" for g in range(1, GROUPS + 1) for f in feature_names(g))
    return (
        f"SELECT s.entity_id, s.ts, {columns}, s.label, s.row FROM spine s "
        + " ".join(joins)
        + " ORDER BY s.row"
    )


def training_duckdb(data: Path, out_file: Path | None) -> Result:
    """The floor: the spine (in memory, as featurehouse gets it) ASOF-joined by DuckDB with
    the groups' Parquet files read in place."""
    import duckdb

    spine = read_parquet(data / "spine.parquet")
    files = [str(data / f"{name}.parquet") for name in group_names()]
    sql = asof_sql(files)
    out: Result = {}
    # Opening the database is timed, as featurehouse's first call opens its engine too.
    with timed(out):
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.register("spine", spine)
        table = con.sql(sql).to_arrow_table()
    _summary(table, out, out_file)
    con.close()
    return out


def training_polars(data: Path, out_file: Path | None) -> Result:
    """The second floor: the spine (in memory) ``join_asof`` each group's Parquet file
    (``by`` entity, ``on`` ts, backward: the latest row at or before), back in spine order."""
    import polars as pl

    spine = pl.from_arrow(read_parquet(data / "spine.parquet"))
    assert isinstance(spine, pl.DataFrame)
    out: Result = {}
    with timed(out):
        joined = spine.lazy().sort("ts")
        for group, name in enumerate(group_names(), start=1):
            rows = pl.scan_parquet(data / f"{name}.parquet").select(
                ["entity_id", "ts", *feature_names(group)]
            )
            joined = joined.join_asof(  # both sides sorted just above
                rows.sort("ts"),
                on="ts",
                by="entity_id",
                strategy="backward",
                check_sortedness=False,
            )
        columns = ["entity_id", "ts", *all_features(), "label", "row"]
        table = joined.sort("row").select(columns).collect().to_arrow()
    _summary(table, out, out_file)
    return out
