"""The SQL text the DuckDB engine runs, built without running it (golden files in
tests/engine/golden pin the point-in-time SQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AsOfStep:
    """The join of one source: a narrow table ``left_rows`` (the spine's row number
    ``_fh_row``, then the columns of ``left``) joined as of each row's time to ``source``.
    The SQL's parameters are the latest spine time, then (with a ttl) the earliest spine
    time minus the ttl: they let the scan skip rows no spine row can see."""

    left: tuple[tuple[str, str], ...]  # (left_rows column, the spine or output column copied)
    sql: str


def as_of_steps(event_time: str, sources: Sequence[AsOfSource]) -> list[AsOfStep]:
    """One step per source, in order: a source may join on an earlier source's outputs,
    which the step's ``left`` then copies."""
    return [_as_of_step(event_time, source) for source in sources]


def as_of_join_sql(event_time: str, sources: Sequence[AsOfSource]) -> str:
    """The steps of ``as_of_join`` as one commented SQL script, for review."""
    parts = []
    for n, step in enumerate(as_of_steps(event_time, sources), 1):
        copies = ", ".join(f"{column} = {quote(copied)}" for column, copied in step.left)
        parts.append(
            f"-- source {n} of {len(sources)}: left_rows({ROW} = the spine row, {copies})\n"
            f"{step.sql};\n"
        )
    return "\n".join(parts)


def _as_of_step(event_time: str, source: AsOfSource) -> AsOfStep:
    time = quote(source.event_time)
    left = ((f"{ROW}t", event_time), *((f"{ROW}l{j}", c) for j, c in enumerate(source.left_on)))
    keys = [f"{quote(k)} AS {quote(f'{ROW}k{j}')}" for j, k in enumerate(source.keys)]
    picked = [f"{quote(c)} AS {quote(out)}" for c, out in source.columns]
    # Only rows some spine row can see: pushed down into the dataset scan.
    where = f"{time} <= ?"
    if source.ttl is not None:
        where += f" AND {time} >= ?"
    outputs = [f"s.{quote(out)}" for _, out in source.columns]
    if source.ttl is not None:  # the matched row counts only if it is recent enough
        micros = source.ttl // timedelta(microseconds=1)
        fresh = f"s.{ROW}t >= l.{ROW}t - to_microseconds({micros})"
        outputs = [
            f"CASE WHEN {fresh} THEN {value} END AS {quote(out)}"
            for value, (_, out) in zip(outputs, source.columns, strict=True)
        ]
    on = " AND ".join(f"l.{ROW}l{j} = s.{quote(f'{ROW}k{j}')}" for j in range(len(source.keys)))
    sql = (
        f"WITH s AS (\n"
        f"  SELECT {', '.join([*keys, f'{time} AS {ROW}t', *picked])}\n"
        f"  FROM source WHERE {where}\n"
        f")\n"
        f"SELECT {', '.join([f'l.{ROW}', *outputs])}\n"
        f"FROM left_rows l ASOF LEFT JOIN s ON {on} AND l.{ROW}t >= s.{ROW}t"
    )
    return AsOfStep(left, sql)


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
