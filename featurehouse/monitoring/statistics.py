"""Descriptive statistics of a table, computed in DuckDB in one query (nothing is loaded into
pandas): row count, and per column the count of values and nulls; for numeric columns
min/max/mean/stddev, quantiles and an equal-width histogram; for categorical ones the
cardinality and the most frequent values; for times the first and last.

Statistics are kept in the catalog: per commit of a feature group (of the committed batch),
on demand (of the whole table), and per split of every training dataset.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.base import JsonBody
from featurehouse.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds

    from featurehouse.services import Services
    from featurehouse.spec import FeatureGroupSpec

COMMIT_STATISTICS = "commit_statistics"  # name "<group>:<version>", version = Delta version
TABLE_STATISTICS = "table_statistics"  # the same, of the whole table as of that version
SPLIT_STATISTICS = "split_statistics"  # name "<view>:<view version>:<dataset version>:<split>"
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
BINS = 20
TOP = 10


@dataclass(frozen=True)
class TableStatistics:
    """Statistics of one table (a batch, a whole feature group, a training split)."""

    row_count: int
    columns: dict[str, dict[str, Any]]
    computed_at: datetime

    def __getitem__(self, column: str) -> dict[str, Any]:
        return self.columns[column]

    def to_json(self) -> JsonBody:
        return {
            "row_count": self.row_count,
            "columns": self.columns,
            "computed_at": self.computed_at.isoformat(),
        }

    @classmethod
    def from_json(cls, body: JsonBody) -> TableStatistics:
        return cls(body["row_count"], body["columns"], datetime.fromisoformat(body["computed_at"]))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_kind(t: pa.DataType) -> str:
    """How a column is described: ``numeric``, ``categorical``, ``time`` or ``other``."""
    import pyarrow as pa

    if pa.types.is_boolean(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return "categorical"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    if pa.types.is_dictionary(t):
        return "categorical"
    return "other"


def _select_list(schema: pa.Schema, columns: Sequence[str]) -> list[str]:
    """The aggregates of every column: numeric columns read their bounds from ``b``."""
    import pyarrow as pa

    parts = ["count(*)"]
    for i, name in enumerate(columns):
        t = schema.field(name).type
        col = _quote(name)
        parts.append(f"count({col})")
        kind = column_kind(t)
        if kind == "numeric":
            # NaN is neither a value nor a null: counted apart, left out of the moments
            value = f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END::DOUBLE"
            nans = f"count(*) FILTER (WHERE isnan({col}))"
            if not pa.types.is_floating(t):
                value, nans = f"{col}::DOUBLE", "0"
            lo, hi = f"b.lo_{i}", f"b.hi_{i}"
            # one value only (hi = lo): least() skips the null, every value lands in one bin
            bucket = f"least(floor(({value} - {lo}) / nullif({hi} - {lo}, 0) * {BINS}), {BINS - 1})"
            parts += [
                nans,
                f"min({value})",
                f"max({value})",
                f"avg({value})",
                f"stddev_samp({value})",
                f"quantile_cont({value}, {list(QUANTILES)})",
                f"histogram({bucket}) FILTER (WHERE {value} IS NOT NULL)",
            ]
        elif kind == "categorical":
            top = (
                f"(SELECT list([v::VARCHAR, n::VARCHAR]) FROM (SELECT {col} AS v, count(*) AS n "
                f"FROM t WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}))"
            )
            parts += [f"count(DISTINCT {col})", top]
        elif kind == "time":
            parts += [f"min({col})", f"max({col})"]
    return parts


def _bounds(schema: pa.Schema, columns: Sequence[str]) -> str:
    import pyarrow as pa

    parts = ["count(*) AS rows"]  # an aggregate: b has one row
    for i, name in enumerate(columns):
        t = schema.field(name).type
        if column_kind(t) != "numeric":
            continue
        col = _quote(name)
        value = f"{col}::DOUBLE"
        if pa.types.is_floating(t):
            value = f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END::DOUBLE"
        parts += [f"min({value}) AS lo_{i}", f"max({value}) AS hi_{i}"]
    return ", ".join(parts)


_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database per thread, kept: opening one costs ~50 ms, more than
    the statistics of a small batch. It holds no state between calls."""
    import duckdb

    if not hasattr(_local, "db"):
        _local.db = duckdb.connect()
    db: duckdb.DuckDBPyConnection = _local.db
    return db


def compute(data: pa.Table | ds.Dataset, columns: Sequence[str] | None = None) -> TableStatistics:
    """Statistics of ``columns`` (default: all) of an Arrow table or dataset, in one query."""
    schema = data.schema
    names = list(columns) if columns is not None else list(schema.names)
    sql = (
        f"WITH b AS (SELECT {_bounds(schema, names)} FROM t) "
        f"SELECT {', '.join(_select_list(schema, names))} FROM t, b"
    )
    con = _connection().cursor()
    try:
        con.register("t", data)
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    assert row is not None
    values = iter(row)
    row_count = int(next(values))
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        kind = column_kind(schema.field(name).type)
        count = int(next(values))
        stats: dict[str, Any] = {"kind": kind, "count": count, "nulls": row_count - count}
        if kind == "numeric":
            nans, lo, hi, mean, std, quantiles, histogram = (next(values) for _ in range(7))
            stats.update(_numeric(int(nans), lo, hi, mean, std, quantiles, histogram))
        elif kind == "categorical":
            cardinality, top = next(values), next(values)
            stats["cardinality"] = int(cardinality)
            stats["top"] = [[_value(v, schema.field(name).type), int(n)] for v, n in top or []]
        elif kind == "time":
            lo, hi = next(values), next(values)
            stats.update(min=_iso(lo), max=_iso(hi))
        out[name] = stats
    return TableStatistics(row_count, out, datetime.now(UTC))


def _numeric(
    nans: int,
    lo: float | None,
    hi: float | None,
    mean: float | None,
    std: float | None,
    quantiles: list[float] | None,
    histogram: dict[float, int] | None,
) -> dict[str, Any]:
    stats: dict[str, Any] = {"nans": nans, "min": lo, "max": hi, "mean": mean, "stddev": std}
    stats["quantiles"] = dict(zip([str(q) for q in QUANTILES], quantiles or [], strict=False))
    counts = [0] * BINS
    for bucket, n in (histogram or {}).items():
        counts[int(bucket)] += int(n)
    if lo is None or hi is None:
        stats["histogram"] = {"edges": [], "counts": []}
    elif lo == hi:
        stats["histogram"] = {"edges": [lo, hi], "counts": [sum(counts)]}
    else:
        edges = [lo + (hi - lo) * i / BINS for i in range(BINS)] + [hi]
        stats["histogram"] = {"edges": edges, "counts": counts}
    return stats


def _value(text: str, t: pa.DataType) -> Any:
    import pyarrow as pa

    return text == "true" if pa.types.is_boolean(t) else text


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


# -- kept in the catalog -----------------------------------------------------------------


def record_commit(
    services: Services, spec: FeatureGroupSpec, version: int, batch: pa.Table
) -> TableStatistics:
    """Keep the statistics of the batch a commit wrote (its feature columns and event time)."""
    columns = [c for c in batch.column_names if c not in spec.primary_key]
    stats = compute(batch, columns)
    _keep(services, COMMIT_STATISTICS, spec.label, version, stats)
    return stats


def _keep(services: Services, kind: str, name: str, version: int, stats: TableStatistics) -> None:
    # computed again for the same data (a retried call): the first record stands
    with contextlib.suppress(AlreadyExistsError):
        services.catalog.create(kind, name, version, stats.to_json())


def table_statistics(services: Services, spec: FeatureGroupSpec) -> TableStatistics:
    """Statistics of a feature group's whole table as of its latest version (kept, so that
    asking again for an unchanged table costs nothing)."""
    table = services.offline.open(spec.table_id)
    version = int(table.version())
    try:
        entry = services.catalog.get(TABLE_STATISTICS, spec.label, version)
        return TableStatistics.from_json(entry.body)
    except NotFoundError:
        pass
    dataset = services.offline.dataset(table)
    columns = [c for c in dataset.schema.names if c not in spec.primary_key]
    stats = compute(dataset, columns)
    _keep(services, TABLE_STATISTICS, spec.label, version, stats)
    return stats


def commit_statistics(
    services: Services, spec: FeatureGroupSpec, version: int | None = None
) -> TableStatistics:
    """The statistics kept for one commit (default: the latest commit that has them)."""
    entry = services.catalog.get(COMMIT_STATISTICS, spec.label, version)
    return TableStatistics.from_json(entry.body)


def split_name(view: str, view_version: int, version: int, split: str) -> str:
    return f"{view}:{view_version}:{version}:{split}"


def record_splits(
    services: Services, view: str, view_version: int, version: int, parts: dict[str, pa.Table]
) -> None:
    """Keep the statistics of every split of a new training dataset."""
    for split, part in parts.items():
        name = split_name(view, view_version, version, split)
        _keep(services, SPLIT_STATISTICS, name, 1, compute(part))


def split_statistics(
    services: Services, view: str, view_version: int, version: int, split: str
) -> TableStatistics:
    entry = services.catalog.get(SPLIT_STATISTICS, split_name(view, view_version, version, split))
    return TableStatistics.from_json(entry.body)
