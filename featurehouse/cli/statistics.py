"""Statistics as a terminal table, with each numeric histogram drawn as a sparkline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from featurehouse.cli.common import plain

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

    from featurehouse.engine.statistics import TableStatistics

BARS = " ▁▂▃▄▅▆▇█"
COLUMNS = ("column", "kind", "nulls", "min", "mean", "max", "stddev", "distinct", "distribution")
NUMBERS = COLUMNS[1:-1]  # shown in full: never wrapped, never cut
NAME_WIDTH = 8  # the least a column name folds to in the one-row-per-column layout


def sparkline(counts: Sequence[int]) -> str:
    """One bar per bin, heights relative to the fullest; an empty bin stays blank."""
    top = max(counts, default=0)
    if top == 0:
        return ""
    return "".join(BARS[-(-n * (len(BARS) - 1) // top)] for n in counts)


def statistics_table(title: str, stats: TableStatistics) -> StatisticsTable:
    return StatisticsTable(title, stats)


class StatisticsTable:
    """One row per column with every statistic in its own cell when the console is wide
    enough; otherwise one row per column with the statistics wrapped between words, so that
    no number is ever cut to fit (rich shrinks table columns to nothing when they do not fit).
    """

    def __init__(self, title: str, stats: TableStatistics) -> None:
        self.title = title
        self.rows = {name: [plain(v) for v in _cells(c)] for name, c in stats.columns.items()}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from featurehouse.engine.statistics import BINS

        widths = [
            max(len(heading), *(len(row[i]) for row in self.rows.values()))
            for i, heading in enumerate(NUMBERS)
        ]
        borders = 3 * len(COLUMNS) + 1  # a rule and a space each side of every cell
        if NAME_WIDTH + sum(widths) + BINS + borders <= options.max_width:
            yield self._wide(widths)
        else:
            yield self._stacked()

    def _wide(self, widths: list[int]) -> Table:
        from featurehouse.engine.statistics import BINS

        table = Table(title=self.title)
        table.add_column(COLUMNS[0], overflow="fold")
        for heading, width in zip(NUMBERS, widths, strict=True):
            table.add_column(heading, width=width, justify="left" if heading == "kind" else "right")
        table.add_column(COLUMNS[-1], min_width=BINS)
        for name, row in self.rows.items():
            table.add_row(Text(name), *(Text(v) for v in row))
        return table

    def _stacked(self) -> Table:
        table = Table(title=self.title)
        table.add_column(COLUMNS[0], overflow="fold")
        table.add_column("statistics")
        for name, row in self.rows.items():
            *numbers, distribution = row
            kind, *values = numbers
            pairs = [f"{h}={v}" for h, v in zip(NUMBERS[1:], values, strict=True) if v]
            lines = [kind, "  ".join(pairs), distribution]
            table.add_row(Text(name), Text("\n".join(line for line in lines if line)))
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
