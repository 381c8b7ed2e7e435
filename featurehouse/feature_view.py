"""A feature view: the interface a model is trained and served against.

Features selected from feature groups and joined on keys, plus labels. Training data,
batch data and online feature vectors all come from the same definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurehouse import view_reader
from featurehouse.catalog.base import Entry
from featurehouse.errors import AlreadyExistsError, DataError, SchemaError
from featurehouse.frames import Result, to_arrow
from featurehouse.query import Query
from featurehouse.spec import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.training_dataset import (
    TRAINING_DATASET,
    Splits,
    TrainingDataset,
    catalog_name,
    split_rows,
    table_id,
)
from featurehouse.view_plan import ViewPlan, groups_of, plan_view

if TYPE_CHECKING:
    import pyarrow as pa

    from featurehouse.services import Services

FEATURE_VIEW = "feature_view"


def load_plan(services: Services, name: str, query: Query, labels: Sequence[str]) -> ViewPlan:
    groups = {
        key: FeatureGroupSpec.from_entry(services.catalog.get(FEATURE_GROUP, *key))
        for key in groups_of(query)
    }
    return plan_view(name, query, groups, labels)


class FeatureView:
    """Point-in-time correct training data, batch data and online feature vectors.

    >>> fv.training_data(spine=labels_df).to_pandas()
    >>> fv.get_feature_vector({"cc_num": 1})
    """

    def __init__(self, services: Services, entry: Entry) -> None:
        self._services = services
        self.name = entry.name
        self.version = entry.version
        self.description: str = entry.body["description"]
        self.query = Query.from_json(entry.body["query"])
        self._plan = load_plan(services, self.name, self.query, entry.body["labels"])

    def __repr__(self) -> str:
        return f"FeatureView({self.label}, features={len(self.features)}, labels={self.labels})"

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def keys(self) -> list[str]:
        """The entity key columns (the first feature group's primary key)."""
        return list(self._plan.keys)

    @property
    def event_time(self) -> str:
        return self._plan.event_time

    @property
    def features(self) -> list[str]:
        """Feature names, in the view's order (the order of vectors and training columns)."""
        return list(self._plan.features)

    @property
    def labels(self) -> list[str]:
        return list(self._plan.labels)

    @property
    def _obj(self) -> str:
        return f"feature view {self.label}"

    # -- offline -------------------------------------------------------------------

    def training_data(
        self,
        spine: Any = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> Result:
        """Keys, event time, features and labels, point-in-time correct.

        ``spine``: rows of entity keys and event times (and labels, and any other columns,
        which are kept). Each feature takes the value of its group's row with the same key
        and the greatest event time <= the spine row's; rows older than the group's ttl do
        not count. Without a spine, the first group's rows in ``[start, end)`` are the spine.
        """
        return Result(self._read(spine, start, end, None)[0])

    def batch_data(
        self, start: datetime | str | None = None, end: datetime | str | None = None
    ) -> Result:
        """For every entity with rows in the first group in ``[start, end]``, its features as of
        ``end`` (default: now): what a batch inference job scores. The event-time column holds
        ``end``."""
        end_time = _utc(end) or datetime.now(UTC)
        start_time = _utc(start)
        root = self._plan.sources[0].group
        tables = view_reader.open_tables(self._services, self._plan)
        keys = self._services.engine.scan(
            self._services.offline.dataset(tables[root.label]),
            list(self._plan.keys),
            self._plan.event_time,
            start_time,
            end_time + timedelta(microseconds=1),
        )
        import pyarrow as pa

        keys = self._services.engine.last_per_group(keys, self._plan.keys)
        spine = keys.append_column(
            self._plan.event_time,
            pa.array([end_time] * keys.num_rows, self._plan.types[self._plan.event_time]),
        )
        rows = view_reader.training_rows(self._services, self._plan, tables, spine)
        return Result(rows.select([*self._plan.keys, self._plan.event_time, *self._plan.features]))

    def train_test_split(
        self,
        test_size: float = 0.2,
        spine: Any = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        by: str = "time",
        seed: int = 0,
    ) -> tuple[Result, Result]:
        """Training data split in two: by event time (the latest ``test_size`` of rows are the
        test set) or at random with ``seed``."""
        if not 0 < test_size < 1:
            raise DataError(
                f"{self._obj}: test_size must be between 0 and 1, received {test_size}",
                obj=self.label,
                received=test_size,
            )
        rows = self._read(spine, start, end, None)[0]
        if by == "random":
            fractions = {"train": 1 - test_size, "test": test_size}
            parts = split_rows(self._obj, rows, self.event_time, fractions, seed)
            return Result(parts["train"]), Result(parts["test"])
        if by != "time":
            raise DataError(
                f"{self._obj}: by must be 'time' or 'random', received {by!r}",
                obj=self.label,
                expected=["time", "random"],
                received=by,
            )
        import pyarrow.compute as pc

        ordered = rows.take(pc.sort_indices(rows, [(self.event_time, "ascending")]))
        cut = ordered.num_rows - round(ordered.num_rows * test_size)
        return Result(ordered.slice(0, cut)), Result(ordered.slice(cut))

    def create_training_dataset(
        self,
        spine: Any = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        splits: Splits | None = None,
        seed: int = 0,
        description: str = "",
    ) -> TrainingDataset:
        """Read and store training data once, with its splits: ``{"train": (t0, t1), "test":
        (t1, t2)}`` by event time, or ``{"train": 0.8, "test": 0.2}`` at random with ``seed``.
        The dataset records the offline version of every group it read."""
        splits = _utc_splits(splits)
        rows, versions = self._read(spine, start, end, None)
        parts = split_rows(self._obj, rows, self.event_time, splits, seed)
        name = catalog_name(self.name, self.version)
        catalog = self._services.catalog
        for _ in range(20):
            existing = catalog.list(TRAINING_DATASET, name)
            version = max((e.version for e in existing), default=0) + 1
            body = {
                "feature_view": self.name,
                "feature_view_version": self.version,
                "rows": {split: part.num_rows for split, part in parts.items()},
                "group_versions": versions,
                "splits": _splits_json(splits),
                "seed": seed,
                "description": description,
            }
            try:
                entry = catalog.create(TRAINING_DATASET, name, version, body)
            except AlreadyExistsError:
                continue  # another process took this version number
            for split, part in parts.items():
                self._services.offline.write_new(
                    table_id(self.name, self.version, version, split), part
                )
            return TrainingDataset.from_entry(self._services, entry)
        raise AlreadyExistsError(
            f"{self._obj}: could not number a new training dataset", obj=self.label
        )

    def get_training_dataset(self, version: int | None = None) -> TrainingDataset:
        """A training dataset of this view: the latest, or ``version``."""
        entry = self._services.catalog.get(
            TRAINING_DATASET, catalog_name(self.name, self.version), version
        )
        return TrainingDataset.from_entry(self._services, entry)

    def list_training_datasets(self) -> list[TrainingDataset]:
        entries = self._services.catalog.list(
            TRAINING_DATASET, catalog_name(self.name, self.version)
        )
        return [TrainingDataset.from_entry(self._services, e) for e in entries]

    # -- online --------------------------------------------------------------------

    def get_feature_vector(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """The features of one entity from the online store, in the view's order (None
        where a group has no row for it)."""
        return self._vectors([entity])[0]

    def get_feature_vectors(self, entities: Any) -> Result:
        """Entity keys and features of many entities (a list of dicts or a DataFrame)."""
        import pyarrow as pa

        if isinstance(entities, Sequence) and not isinstance(entities, str):
            entity_list = list(entities)
        else:
            entity_list = to_arrow(self._obj, entities).select(self.keys).to_pylist()
        vectors = self._vectors(entity_list)
        columns = [*self._plan.keys, *self._plan.features]
        types = self._plan.types
        return Result(
            pa.table(
                {
                    c: pa.array(
                        [v.get(c) for v in vectors]
                        if c in self._plan.features
                        else [e[c] for e in entity_list],
                        types[c],
                    )
                    for c in columns
                }
            )
        )

    def _vectors(self, entities: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        view_reader.require_online(self._obj, self._plan)
        keys = [self._entity_key(e) for e in entities]
        rows = view_reader.feature_vectors(self._services, self._plan, keys)
        return [{f: row[f] for f in self._plan.features} for row in rows]

    def _entity_key(self, entity: Mapping[str, Any]) -> tuple[Any, ...]:
        if not isinstance(entity, Mapping) or set(entity) != set(self._plan.keys):
            received = sorted(entity) if isinstance(entity, Mapping) else type(entity).__name__
            raise DataError(
                f"{self._obj}: an entity must be a dict with exactly the fields "
                f"{list(self._plan.keys)}, received {received}",
                obj=self.label,
                expected=list(self._plan.keys),
                received=received,
            )
        return tuple(entity[k] for k in self._plan.keys)

    # -- internals -------------------------------------------------------------------

    def _spine_labels(self) -> list[str]:
        return [label for label in self._plan.labels if label not in self._plan.label_features]

    def _read(
        self,
        spine: Any,
        start: datetime | str | None,
        end: datetime | str | None,
        versions: dict[str, int] | None,
    ) -> tuple[pa.Table, dict[str, int]]:
        tables = view_reader.open_tables(self._services, self._plan, versions)
        read_versions = {label: int(t.version()) for label, t in tables.items()}
        if spine is None:
            missing = self._spine_labels()
            if missing:
                raise SchemaError(
                    f"{self._obj}: label(s) {missing} are not features of the view; pass a spine "
                    "that holds them",
                    obj=self.label,
                    column=missing[0],
                )
            rows = view_reader.training_rows(
                self._services, self._plan, tables, None, _utc(start), _utc(end)
            )
        else:
            spine = view_reader.conform_spine(self._obj, self._plan, spine)
            rows = view_reader.training_rows(self._services, self._plan, tables, spine)
        return rows, read_versions


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc_splits(splits: Splits | None) -> Splits | None:
    if not splits:
        return splits
    out: dict[str, Any] = {}
    for name, value in splits.items():
        if isinstance(value, tuple):
            out[name] = (_utc(value[0]), _utc(value[1]))
        else:
            out[name] = value
    return out


def _splits_json(splits: Splits | None) -> Any:
    """How the splits were defined, for the catalog."""
    if not splits:
        return None
    return {
        name: [v.isoformat() for v in value] if isinstance(value, tuple) else value
        for name, value in splits.items()
    }
