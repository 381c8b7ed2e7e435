"""Statistics as a terminal table, with each numeric histogram drawn as a sparkline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from featurehouse.cli.common import cell
from featurehouse.monitoring.statistics import BINS

if TYPE_CHECKING:
    from featurehouse.monitoring.statistics import TableStatistics

BARS = " ▁▂▃▄▅▆▇█"
COLUMNS = ("column", "kind", "nulls", "min", "mean", "max", "stddev", "distinct", "distribution")


def sparkline(counts: Sequence[int]) -> str:
    """One bar per bin, heights relative to the fullest; an empty bin stays blank."""
    top = max(counts, default=0)
    if top == 0:
        return ""
    return "".join(BARS[-(-n * (len(BARS) - 1) // top)] for n in counts)


def statistics_table(title: str, stats: TableStatistics) -> Table:
    table = Table(title=title)
    table.add_column(COLUMNS[0], no_wrap=True)
    for heading in COLUMNS[1:-1]:
        table.add_column(heading, justify="right" if heading in COLUMNS[2:] else "left")
    table.add_column(COLUMNS[-1], no_wrap=True, min_width=BINS)
    for name, column in stats.columns.items():
        table.add_row(name, *(cell(v) for v in _cells(column)))
    return table


def _cells(column: dict[str, Any]) -> list[Any]:
    kind = column["kind"]
    nulls = column["nulls"]
    if kind == "numeric":
        histogram = sparkline(column["histogram"]["counts"])
        return [
            kind,
            nulls,
            column["min"],
            column["mean"],
            column["max"],
            column["stddev"],
            None,
            histogram,
        ]
    if kind == "categorical":
        top = ", ".join(f"{value} ({n:,})" for value, n in column["top"][:3])
        return [kind, nulls, None, None, None, None, column["cardinality"], top]
    return [kind, nulls, column.get("min"), None, column.get("max"), None, None, None]
