"""Descriptive statistics of a table, computed in DuckDB (nothing is loaded into pandas):
row count, and per column the count of values and nulls; for numeric columns
min/max/mean/stddev, quantiles and an equal-width histogram; for categorical ones the
cardinality and the most frequent values; for times the first and last. One query reads
every row (counts, bounds, moments), one the distributions (of a sample, for large tables).

Statistics are kept in the catalog: per commit of a feature group (of the committed batch),
on demand (of the whole table), and per split of every training dataset.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.base import JsonBody
from featurehouse.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds

    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.core.services import Services

COMMIT_STATISTICS = "commit_statistics"  # name "<group>:<version>", version = Delta version
TABLE_STATISTICS = "table_statistics"  # the same, of the whole table as of that version
SPLIT_STATISTICS = "split_statistics"  # name "<view>:<view version>:<dataset version>:<split>"
logger = logging.getLogger("featurehouse.statistics")
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
BINS = 20
TOP = 10
SAMPLE_ROWS = 100_000  # above this, distributions come from a sample of this many rows


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


def _value_sql(t: pa.DataType, col: str) -> str:
    """A numeric column as DOUBLE. NaN and ±inf are neither values nor nulls: they are
    counted apart and left out (as null) of bounds, moments, quantiles and histograms."""
    import pyarrow as pa

    if pa.types.is_floating(t):
        return f"CASE WHEN isfinite({col}) THEN {col} END::DOUBLE"
    return f"{col}::DOUBLE"


def _moments_sql(schema: pa.Schema, columns: Sequence[str], estimate: bool) -> str:
    """Counts, NaNs, bounds, moments and cardinality over every row."""
    import pyarrow as pa

    parts = ["count(*) AS rows"]
    for i, name in enumerate(columns):
        t, col = schema.field(name).type, _quote(name)
        kind = column_kind(t)
        parts.append(f"count({col}) AS count_{i}")
        if kind == "numeric":
            v = _value_sql(t, col)
            floating = pa.types.is_floating(t)
            nans = f"count(*) FILTER (WHERE isnan({col}))" if floating else "0"
            infinite = f"count(*) FILTER (WHERE isinf({col}))" if floating else "0"
            parts += [f"{nans} AS nans_{i}", f"{infinite} AS infinite_{i}"]
            parts += [f"min({v}) AS lo_{i}", f"max({v}) AS hi_{i}"]
            parts += [f"avg({v}) AS mean_{i}", f"stddev_samp({v}) AS std_{i}"]
        elif kind == "time":
            parts += [f"min({col}) AS lo_{i}", f"max({col}) AS hi_{i}"]
        elif kind == "categorical":
            distinct = f"approx_count_distinct({col})" if estimate else f"count(DISTINCT {col})"
            parts.append(f"{distinct} AS cardinality_{i}")
    return f"SELECT {', '.join(parts)} FROM t"


def _distribution_sql(schema: pa.Schema, columns: Sequence[str], moments: dict[str, Any]) -> str:
    """Quantiles, histograms (between the bounds of every row) and top values, over ``s``."""
    parts = ["count(*) AS sampled"]
    for i, name in enumerate(columns):
        t, col = schema.field(name).type, _quote(name)
        kind = column_kind(t)
        if kind == "numeric" and moments[f"lo_{i}"] is not None:
            v = _value_sql(t, col)
            lo, hi = float(moments[f"lo_{i}"]), float(moments[f"hi_{i}"])
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
    """Statistics of ``columns`` (default: all) of an Arrow table or dataset, in two queries.

    Above ``SAMPLE_ROWS`` rows, quantiles, histograms and top values come from a
    seeded random sample of that many rows and the cardinality is estimated (HyperLogLog), which
    keeps per-commit statistics cheap; counts, nulls, bounds and moments are always exact.
    """
    import numpy as np

    schema = data.schema
    names = list(columns) if columns is not None else list(schema.names)
    rows = data.num_rows if hasattr(data, "num_rows") else data.count_rows()
    large = rows > SAMPLE_ROWS
    sample = data
    if large:  # a seeded sample: the same data gives the same statistics
        index = np.sort(np.random.default_rng(0).choice(rows, SAMPLE_ROWS, replace=False))
        sample = data.take(index)
    con = _connection().cursor()
    try:
        con.register("t", data)
        con.register("s", sample)
        result = _fetch(con, _moments_sql(schema, names, estimate=large))
        result.update(_fetch(con, _distribution_sql(schema, names, result)))
    finally:
        con.close()
    row_count = int(result["rows"])
    sampled = int(result["sampled"]) if large else None
    out: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(names):
        kind = column_kind(schema.field(name).type)
        count = int(result[f"count_{i}"])
        stats: dict[str, Any] = {"kind": kind, "count": count, "nulls": row_count - count}
        if kind == "numeric":
            stats.update(
                _numeric(
                    int(result[f"nans_{i}"]),
                    int(result[f"infinite_{i}"]),
                    result[f"lo_{i}"],
                    result[f"hi_{i}"],
                    result[f"mean_{i}"],
                    result[f"std_{i}"],
                    result.get(f"quantiles_{i}"),
                    result.get(f"histogram_{i}"),
                )
            )
        elif kind == "categorical":
            stats["cardinality"] = int(result[f"cardinality_{i}"])
            top = result[f"top_{i}"] or []
            stats["top"] = [[_value(v, schema.field(name).type), int(n)] for v, n in top]
        elif kind == "time":
            stats.update(min=_iso(result[f"lo_{i}"]), max=_iso(result[f"hi_{i}"]))
        if sampled is not None and kind in ("numeric", "categorical"):
            stats["sampled_rows"] = sampled
        out[name] = stats
    return TableStatistics(row_count, out, datetime.now(UTC))


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    cursor = con.execute(sql)
    row = cursor.fetchone()
    assert row is not None and cursor.description is not None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _numeric(
    nans: int,
    infinite: int,
    lo: float | None,
    hi: float | None,
    mean: float | None,
    std: float | None,
    quantiles: list[float] | None,
    histogram: dict[float, int] | None,
) -> dict[str, Any]:
    """Numeric statistics of the finite values; NaN and ±inf are only counted. A moment
    that overflows (the mean of values near 1e308) is None: every number kept is finite,
    so the statistics stay plain JSON."""
    stats: dict[str, Any] = {"nans": nans, "infinite": infinite, "min": lo, "max": hi}
    stats.update(mean=_finite(mean), stddev=_finite(std))
    quantile_values = [_finite(q) for q in quantiles or []]
    stats["quantiles"] = dict(zip([str(q) for q in QUANTILES], quantile_values, strict=False))
    counts = [0] * BINS
    for bucket, n in (histogram or {}).items():
        counts[int(bucket)] += int(n)
    if lo is None or hi is None:
        stats["histogram"] = {"edges": [], "counts": []}
    elif lo == hi:
        stats["histogram"] = {"edges": [lo, hi], "counts": [sum(counts)]}
    else:
        edges = [_edge(lo, hi, i) for i in range(BINS)] + [hi]
        stats["histogram"] = {"edges": edges, "counts": counts}
    return stats


def _edge(lo: float, hi: float, i: int) -> float:
    """The lower edge of bin ``i``, also where ``hi - lo`` overflows (±1e308)."""
    span = hi - lo
    if math.isfinite(span):
        return lo + span * i / BINS
    return lo * (1 - i / BINS) + hi * (i / BINS)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _value(text: str, t: pa.DataType) -> Any:
    import pyarrow as pa

    return text == "true" if pa.types.is_boolean(t) else text


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


# -- kept in the catalog -----------------------------------------------------------------


def record_commit(
    services: Services, spec: FeatureGroupSpec, version: int, batch: pa.Table
) -> None:
    """Keep the statistics of the batch a commit wrote (its feature columns and event time).

    The commit has happened: a failure here is logged, never raised, so that a caller
    cannot take a committed write for a failed one."""
    columns = [c for c in batch.column_names if c not in spec.primary_key]
    with _logged_failure(f"feature group {spec.label}: statistics of version {version}"):
        _keep(services, COMMIT_STATISTICS, spec.label, version, compute(batch, columns))


@contextlib.contextmanager
def _logged_failure(what: str) -> Iterator[None]:
    try:
        yield
    except Exception:  # statistics are a by-product of data already stored
        logger.warning("%s could not be kept", what, exc_info=True)


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
    """Keep the statistics of every split of a new training dataset (stored already: a
    failure is logged, not raised)."""
    for split, part in parts.items():
        name = split_name(view, view_version, version, split)
        with _logged_failure(f"training dataset {name}: statistics"):
            _keep(services, SPLIT_STATISTICS, name, 1, compute(part))


def split_statistics(
    services: Services, view: str, view_version: int, version: int, split: str
) -> TableStatistics:
    entry = services.catalog.get(SPLIT_STATISTICS, split_name(view, view_version, version, split))
    return TableStatistics.from_json(entry.body)
