"""The SQL text the DuckDB engine runs, built without running it (golden files in
tests/engine/golden pin the point-in-time SQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.engine.statistics import BINS, QUANTILES, TOP, column_kind

if TYPE_CHECKING:
    from featurehouse.engine.base import AsOfSource

ROW = "_fh_row"  # a helper column: the row number of the spine or batch


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_list(names: Sequence[str]) -> str:
    return ", ".join(quote(c) for c in names)


# -- point-in-time joins -----------------------------------------------------------------

LEFT = "left_rows"  # the spine as registered: its columns and its row number ROW
# A source read by DuckDB from its Parquet files, the list of them its parameter (a file
# that lacks a column gives nulls; paths are never read as hive partitions).
PARQUET_FILES = "read_parquet(?, union_by_name = true, hive_partitioning = false)"


def source_name(index: int) -> str:
    """The name source ``index`` (from 0) is registered under when it is not files."""
    return f"source_{index}"


def as_of_join_sql(
    event_time: str, sources: Sequence[AsOfSource], relations: Sequence[str] | None = None
) -> str:
    """One statement: ``left_rows`` (the spine and its row number ``_fh_row``) ASOF LEFT
    JOINed to each source in turn, the sources' columns in spine order.

    ``relations``: what each source is read from, ``source_name(i)`` (the default) or
    ``PARQUET_FILES``. A source may join on an earlier source's output, as that output
    reads (after its ttl). The parameters, source by source: its files (if read from
    them), the latest spine time, then (with a ttl) the earliest spine time minus the ttl;
    the times let each scan skip rows no spine row can see.
    """
    if relations is None:
        relations = [source_name(i) for i in range(len(sources))]
    time = f"l.{quote(event_time)}"
    expressions: dict[str, str] = {}  # earlier outputs -> their SQL
    scans, joins, outputs = [], [], []
    for index, (source, relation) in enumerate(zip(sources, relations, strict=True)):
        alias = f"s{index}"
        scans.append(f"{alias} AS ({_source_scan(source, relation)})")
        left = [expressions.get(c, f"l.{quote(c)}") for c in source.left_on]
        on = [f"{value} = {alias}.{quote(f'{ROW}k{j}')}" for j, value in enumerate(left)]
        joins.append(f"ASOF LEFT JOIN {alias} ON {' AND '.join(on)} AND {time} >= {alias}.{ROW}t")
        for _, out in source.columns:
            value = f"{alias}.{quote(out)}"
            if source.ttl is not None:  # the matched row counts only if it is recent enough
                micros = source.ttl // timedelta(microseconds=1)
                fresh = f"{alias}.{ROW}t >= {time} - to_microseconds({micros})"
                value = f"CASE WHEN {fresh} THEN {value} END"
            expressions[out] = value
            outputs.append(f"{value} AS {quote(out)}")
    lines = [
        "WITH " + ",\n".join(scans),
        f"SELECT {', '.join(outputs)}",
        f"FROM {LEFT} l",
        *joins,
        f"ORDER BY l.{ROW}",
    ]
    return "\n".join(lines)


def _source_scan(source: AsOfSource, relation: str) -> str:
    """A source's keys, time and columns: only the rows some spine row can see (the bounds
    are pushed down into the scan)."""
    time = quote(source.event_time)
    keys = [f"{quote(k)} AS {quote(f'{ROW}k{j}')}" for j, k in enumerate(source.keys)]
    picked = [f"{quote(c)} AS {quote(out)}" for c, out in source.columns]
    where = f"{time} <= ?"
    if source.ttl is not None:
        where += f" AND {time} >= ?"
    columns = ", ".join([*keys, f"{time} AS {ROW}t", *picked])
    return f"\n  SELECT {columns}\n  FROM {relation} WHERE {where}\n"


# -- statistics --------------------------------------------------------------------------


def _value_sql(t: pa.DataType, col: str, finite: bool) -> str:
    """A numeric column as DOUBLE. NaN and ±inf are neither values nor nulls: they are
    counted apart and left out (as null) of bounds, moments, quantiles and histograms
    (unless the column is known to hold none: the same values, at a fraction of the cost)."""
    if pa.types.is_floating(t) and not finite:
        return f"CASE WHEN isfinite({col}) THEN {col} END::DOUBLE"
    return f"{col}::DOUBLE"


def moments_sql(
    schema: pa.Schema, columns: Sequence[str], estimate: bool, finite: Collection[str] = ()
) -> str:
    """Counts, NaNs, bounds, moments and cardinality over every row of ``t``; ``finite``:
    the columns known to hold no NaN or ±inf."""
    parts = ["count(*) AS rows"]
    for i, name in enumerate(columns):
        t, col = schema.field(name).type, quote(name)
        kind = column_kind(t)
        parts.append(f"count({col}) AS count_{i}")
        if kind == "numeric":
            v = _value_sql(t, col, name in finite)
            floating = pa.types.is_floating(t) and name not in finite
            nans = f"count(*) FILTER (WHERE isnan({col}))" if floating else "0"
            infinite = f"count(*) FILTER (WHERE isinf({col}))" if floating else "0"
            parts += [f"{nans} AS nans_{i}", f"{infinite} AS infinite_{i}"]
            parts += [f"min({v}) AS min_{i}", f"max({v}) AS max_{i}"]
            parts += [f"avg({v}) AS mean_{i}", f"stddev_samp({v}) AS stddev_{i}"]
        elif kind == "time":
            parts += [f"min({col}) AS min_{i}", f"max({col}) AS max_{i}"]
        elif kind == "categorical":
            distinct = f"approx_count_distinct({col})" if estimate else f"count(DISTINCT {col})"
            parts.append(f"{distinct} AS cardinality_{i}")
    return f"SELECT {', '.join(parts)} FROM t"


def distribution_sql(
    schema: pa.Schema,
    columns: Sequence[str],
    moments: dict[str, Any],
    finite: Collection[str] = (),
) -> str:
    """Quantiles, histograms (between the bounds of every row) and top values, over ``s``;
    ``finite`` as for ``moments_sql``."""
    parts = ["count(*) AS sampled"]
    for i, name in enumerate(columns):
        t, col = schema.field(name).type, quote(name)
        kind = column_kind(t)
        if kind == "numeric" and moments[f"min_{i}"] is not None:
            v = _value_sql(t, col, name in finite)
            lo, hi = float(moments[f"min_{i}"]), float(moments[f"max_{i}"])
            # hi / BINS - lo / BINS does not overflow where hi - lo would (±1e308)
            width = hi / BINS - lo / BINS
            scaled = f"({v} - {lo!r}) / {width!r}" if width > 0 else "0"  # one value: bin 0
            bucket = f"least(floor({scaled}), {BINS - 1})"
            parts.append(f"quantile_cont({v}, {list(QUANTILES)}) AS quantiles_{i}")
            parts.append(f"histogram({bucket}) FILTER (WHERE {v} IS NOT NULL) AS histogram_{i}")
        elif kind == "categorical":
            parts.append(
                f"(SELECT list([x::VARCHAR, n::VARCHAR]) FROM (SELECT {col} AS x, count(*) AS n "
                f"FROM s WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP})) AS top_{i}"
            )
    return f"SELECT {', '.join(parts)} FROM s"
