"""Descriptive statistics of a table, as every engine reports them: row count, and per
column the count of values and nulls; for numeric columns min/max/mean/stddev, quantiles
and an equal-width histogram; for categorical ones the cardinality and the most frequent
values; for times the first and last.

An engine computes the raw numbers of each column (``ColumnNumbers``, see
``Engine.statistics``); turning them into ``TableStatistics`` happens here, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

import pyarrow as pa

if TYPE_CHECKING:
    import numpy as np

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

    def to_json(self) -> dict[str, Any]:
        return {
            "row_count": self.row_count,
            "columns": self.columns,
            "computed_at": self.computed_at.isoformat(),
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TableStatistics:
        return cls(body["row_count"], body["columns"], datetime.fromisoformat(body["computed_at"]))


def column_kind(t: pa.DataType) -> str:
    """How a column is described: ``numeric``, ``categorical``, ``time`` or ``other``."""
    if pa.types.is_boolean(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return "categorical"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    if pa.types.is_dictionary(t):
        return "categorical"
    return "other"


def sample_index(rows: int) -> np.ndarray[Any, Any] | None:
    """The rows whose distributions stand for a table of ``rows`` rows: None (all of them)
    up to ``SAMPLE_ROWS``, else a seeded sample of that many, so that the same data gives
    the same statistics."""
    import numpy as np

    if rows <= SAMPLE_ROWS:
        return None
    return np.sort(np.random.default_rng(0).choice(rows, SAMPLE_ROWS, replace=False))


class ColumnNumbers(TypedDict, total=False):
    """What an engine computes of one column; which keys depend on its kind.

    Over every row: ``count`` (non-null values); numeric: ``nans``, ``infinite``, and
    ``min``, ``max``, ``mean``, ``stddev`` of the finite values; time: ``min``, ``max``;
    categorical: ``cardinality`` (estimated when sampled). Over the sample: numeric
    ``quantiles`` (at ``QUANTILES``) and ``histogram`` (bin -> count, ``BINS`` equal bins
    between min and max, the last one closed); categorical ``top``: the ``TOP`` most
    frequent values as text with their counts, most frequent first, then by value."""

    count: int
    nans: int
    infinite: int
    min: Any
    max: Any
    mean: float | None
    stddev: float | None
    quantiles: list[float] | None
    histogram: dict[float, int] | None
    cardinality: int
    top: list[tuple[str, int]] | None


def describe(
    schema: pa.Schema,
    row_count: int,
    numbers: dict[str, ColumnNumbers],
    sampled_rows: int | None,
) -> TableStatistics:
    """The statistics of the columns of ``numbers`` (in its order); ``sampled_rows`` is the
    sample's size when distributions come from a sample."""
    out: dict[str, dict[str, Any]] = {}
    for name, n in numbers.items():
        t = schema.field(name).type
        kind = column_kind(t)
        stats: dict[str, Any] = {"kind": kind, "count": n["count"], "nulls": row_count - n["count"]}
        if kind == "numeric":
            stats.update(_numeric(n))
        elif kind == "categorical":
            stats["cardinality"] = n["cardinality"]
            stats["top"] = [[_value(v, t), int(c)] for v, c in n.get("top") or []]
        elif kind == "time":
            stats.update(min=_iso(n["min"]), max=_iso(n["max"]))
        if sampled_rows is not None and kind in ("numeric", "categorical"):
            stats["sampled_rows"] = sampled_rows
        out[name] = stats
    return TableStatistics(row_count, out, datetime.now(UTC))


def _numeric(n: ColumnNumbers) -> dict[str, Any]:
    """Numeric statistics of the finite values; NaN and ±inf are only counted. A moment
    that overflows (the mean of values near 1e308) is None: every number kept is finite,
    so the statistics stay plain JSON."""
    lo, hi = n["min"], n["max"]
    stats: dict[str, Any] = {"nans": n["nans"], "infinite": n["infinite"], "min": lo, "max": hi}
    stats.update(mean=_finite(n["mean"]), stddev=_finite(n["stddev"]))
    quantile_values = [_finite(q) for q in n.get("quantiles") or []]
    stats["quantiles"] = dict(zip([str(q) for q in QUANTILES], quantile_values, strict=False))
    counts = [0] * BINS
    for bucket, count in (n.get("histogram") or {}).items():
        counts[int(bucket)] += int(count)
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
    return text == "true" if pa.types.is_boolean(t) else text


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())
