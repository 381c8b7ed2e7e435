"""Training datasets: immutable, materialized reads of a feature view, with their splits and
the exact offline versions they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.catalog.base import Entry, JsonBody
from featurehouse.catalog.codec import NOT_STORED, Record, entry_attribute, stored_as
from featurehouse.catalog.numbering import VersionTaken, create_next
from featurehouse.core.frames import Result
from featurehouse.core.statistics import record_splits
from featurehouse.errors import AlreadyExistsError, DataError, NotFoundError
from featurehouse.transforms.apply import transform_table
from featurehouse.transforms.base import Transform

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.engine.statistics import TableStatistics

TRAINING_DATASET = "training_dataset"
Splits = dict[str, tuple[datetime, datetime]] | dict[str, float]


@dataclass(frozen=True)
class TrainingDataset(Record):
    """A feature view's data as it was read once; reading it again gives identical rows."""

    services: Any = field(repr=False, compare=False, metadata=NOT_STORED)
    feature_view: str
    feature_view_version: int
    version: int = field(metadata=entry_attribute("version"))
    rows: dict[str, int]  # rows per split
    group_versions: dict[str, int]  # feature group label -> Delta version read
    statistics: dict[str, Any]  # feature -> statistics fitted on the train split
    description: str
    created_at: datetime = field(metadata=entry_attribute("created_at"))
    transforms: Mapping[str, Transform] = field(
        default_factory=dict, repr=False, metadata=NOT_STORED
    )
    # How the splits were asked for ({name: [start, end]} or {name: fraction}), and the seed.
    split_definition: dict[str, Any] | None = field(
        default=None, repr=False, metadata=stored_as("splits")
    )
    seed: int = field(default=0, repr=False)

    @property
    def splits(self) -> list[str]:
        return list(self.rows)

    def read(self, split: str | None = None, *, transformed: bool = False) -> Result:
        """One split's rows, or all of them (in split order) when ``split`` is None;
        ``transformed`` applies the statistics fitted on this dataset's train split."""
        if split is not None:
            self._check_split(split)
        names = [split] if split is not None else self.splits
        offline = self.services.offline
        tables = [offline.dataset(offline.open(self._table_id(name))).to_table() for name in names]
        table = pa.concat_tables(tables)
        if transformed:
            table = transform_table(table, self.transforms, self.statistics)
        return Result(table)

    def split_statistics(self, split: str = "train") -> TableStatistics:
        """Statistics of one split (row count, nulls, moments, quantiles, histograms, top
        values), computed when the dataset was created."""
        from featurehouse.core.statistics import split_statistics

        self._check_split(split)
        return split_statistics(
            self.services, self.feature_view, self.feature_view_version, self.version, split
        )

    def _check_split(self, split: str) -> None:
        if split not in self.rows:
            raise NotFoundError(
                f"training dataset {self.feature_view}:{self.feature_view_version} version "
                f"{self.version} has no split {split!r}; it has {self.splits}",
                obj=self.feature_view,
                expected=self.splits,
                received=split,
            )

    def _table_id(self, split: str) -> str:
        return table_id(self.feature_view, self.feature_view_version, self.version, split)


def store_training_dataset(
    services: Services, view: str, view_version: int, parts: dict[str, pa.Table], body: JsonBody
) -> Entry:
    """Write the split tables, keep their statistics, then register the dataset, in that
    order: a process killed on the way leaves tables nothing refers to, never an entry
    without its tables. Writing a version's tables claims the number (a table is written
    once); a number whose tables exist already, a concurrent creator's or a killed run's,
    is skipped, as is one a creator with other splits registered first."""

    def claimed(version: int) -> JsonBody:
        try:
            for split, part in parts.items():
                services.offline.write_new(table_id(view, view_version, version, split), part)
        except AlreadyExistsError as exc:
            raise VersionTaken from exc
        record_splits(services, view, view_version, version, parts)
        return body

    return create_next(
        services.catalog, TRAINING_DATASET, catalog_name(view, view_version), claimed
    )


def catalog_name(view: str, view_version: int) -> str:
    return f"{view}_v{view_version}"


def table_id(view: str, view_version: int, version: int, split: str) -> str:
    return f"_td_{view}_v{view_version}_{version}_{split}"


def split_rows(
    obj: str, table: pa.Table, event_time: str, splits: Splits | None, seed: int
) -> dict[str, pa.Table]:
    """Split by event-time ranges ``{name: (start, end)}`` ([start, end)) or at random
    by fractions ``{name: 0.8, ...}`` with ``seed``."""
    import numpy as np

    if not splits:
        return {"train": table}
    values = list(splits.values())
    if all(isinstance(v, float | int) and not isinstance(v, bool) for v in values):
        fractions = np.array(values, dtype=float)
        if (fractions <= 0).any() or abs(fractions.sum() - 1.0) > 1e-9:
            raise DataError(
                f"{obj}: split fractions must be positive and add up to 1, received {splits}",
                obj=obj,
                expected="fractions adding up to 1",
                received=splits,
            )
        rng = np.random.default_rng(seed)
        order = rng.permutation(table.num_rows)
        bounds = np.round(np.cumsum(fractions) * table.num_rows).astype(int)
        starts = np.concatenate([[0], bounds[:-1]])
        return {
            name: table.take(np.sort(order[a:b]))
            for name, a, b in zip(splits, starts, bounds, strict=True)
        }
    if all(isinstance(v, tuple) and len(v) == 2 for v in values):
        times = table.column(event_time)
        out = {}
        for name, (start, end) in splits.items():  # type: ignore[misc]
            mask = pc.and_(pc.greater_equal(times, start), pc.less(times, end))
            out[name] = table.filter(mask)
        return out
    raise DataError(
        f"{obj}: splits must be {{name: (start, end)}} or {{name: fraction}}, received {splits}",
        obj=obj,
        expected="{name: (start, end)} or {name: fraction}",
        received=splits,
    )
