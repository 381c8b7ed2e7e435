"""The engine protocol: what feature groups ask of a query engine, and how the ``engine``
setting's URI picks one.

Engines read Arrow datasets (the offline store hands them over) and Arrow tables
(a batch being written); they never touch storage themselves. Every engine passes the
conformance suite in tests/engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from featurehouse.common.backends import open_backend
from featurehouse.errors import InvalidNameError

if TYPE_CHECKING:
    import pyarrow.dataset as ds

    from featurehouse.engine.statistics import TableStatistics


@dataclass(frozen=True)
class AsOfSource:
    """A table joined point-in-time: for each left row, its row with equal keys and the
    greatest event time <= the left row's (inclusive); none if that row is older than
    ``ttl``."""

    dataset: ds.Dataset
    keys: tuple[str, ...]  # the source's key columns
    left_on: tuple[str, ...]  # the left columns they equal, in the same order
    event_time: str
    columns: tuple[tuple[str, str], ...]  # (source column, output name)
    ttl: timedelta | None = None


class Engine(Protocol):
    def scan(
        self,
        dataset: ds.Dataset,
        columns: Sequence[str] | None = None,
        time_column: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pa.Table:
        """Rows with ``start <= time_column < end`` (bounds optional)."""
        ...

    def last_per_group(
        self, batch: pa.Table, group: Sequence[str], order: str | None = None
    ) -> pa.Table:
        """One row per ``group``: the one greatest in ``order``; the last one in ``batch`` on ties
        (or when ``order`` is None). Rows keep their batch order."""
        ...

    def count_matches(
        self, dataset: ds.Dataset, batch: pa.Table, columns: Sequence[str], time_column: str
    ) -> int:
        """How many rows of ``batch`` have a row in ``dataset`` with equal ``columns``."""
        ...

    def latest_rows(self, dataset: ds.Dataset, keys: pa.Table, time_column: str) -> pa.Table:
        """For each key row in ``keys``, the dataset row with that key and the greatest time."""
        ...

    def as_of_join(
        self, spine: pa.Table, event_time: str, sources: Sequence[AsOfSource]
    ) -> pa.Table:
        """The spine's columns and rows, in order, with each source's columns joined
        point-in-time on ``event_time``; a source may join on an earlier source's outputs."""
        ...

    def statistics(
        self, data: pa.Table | ds.Dataset, columns: Sequence[str] | None = None
    ) -> TableStatistics:
        """Statistics of ``columns`` (default: all) of ``data``: see
        ``featurehouse.engine.statistics``. Counts, nulls, bounds and moments are exact;
        above ``SAMPLE_ROWS`` rows, quantiles, histograms and top values come from the rows
        of ``sample_index`` and the cardinality may be estimated."""
        ...

    def close(self) -> None: ...


# URI scheme -> "module:class". Engines (and their drivers) load only when used.
ENGINES = {
    "duckdb": "featurehouse.engine.duckdb:DuckDBEngine",
}


def open_engine(
    uri: str, memory_limit: str | None = None, temp_directory: str | None = None
) -> Engine:
    """Open the engine of the ``engine`` setting (``duckdb://``, the in-process default).

    ``memory_limit`` bounds the engine's memory (it spills to ``temp_directory`` past it).
    """
    try:
        engine: Engine = open_backend(
            "engine",
            uri,
            ENGINES,
            memory_limit=memory_limit,
            temp_directory=temp_directory,
        )
    except InvalidNameError as exc:  # an unknown scheme: say where it was set
        raise InvalidNameError(
            f"setting engine (FEATUREHOUSE_ENGINE): {exc}",
            obj="engine",
            expected=exc.expected,
            received=exc.received,
        ) from None
    return engine
