"""The engine protocol: what feature groups ask of a query engine.

Engines read Arrow datasets (the offline store hands them over) and Arrow tables
(a batch being written); they never touch storage themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds


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
        where: str | None = None,
    ) -> pa.Table:
        """Rows with ``start <= time_column < end`` (bounds optional) and ``where``."""
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

    def close(self) -> None: ...
