"""The engine protocol: what feature groups ask of a query engine.

Engines read Arrow datasets (the offline store hands them over) and Arrow tables
(a batch being written); they never touch storage themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds


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

    def close(self) -> None: ...
