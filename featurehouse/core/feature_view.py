"""A feature view: the interface a model is trained and served against.

Features selected from feature groups and joined on keys, plus labels. Training data,
batch data and online feature vectors all come from the same definition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.catalog.base import Entry, JsonBody, update_with_retry
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core import view_reader
from featurehouse.core.frames import Result, to_arrow
from featurehouse.core.query import Query
from featurehouse.core.training_dataset import (
    TRAINING_DATASET,
    Splits,
    TrainingDataset,
    catalog_name,
    split_rows,
    store_training_dataset,
)
from featurehouse.core.view_plan import ViewPlan, groups_of, plan_view
from featurehouse.errors import DataError, SchemaError
from featurehouse.transforms.apply import (
    Statistics,
    VectorTransform,
    fit,
    output_names,
    transform_table,
)
from featurehouse.transforms.base import Transform, transform_from_json
from featurehouse.transforms.on_demand import OnDemandFeature, on_demand_from_json
from featurehouse.types import as_utc

if TYPE_CHECKING:
    from featurehouse.core.services import Services

FEATURE_VIEW = "feature_view"


def load_plan(
    services: Services,
    name: str,
    query: Query,
    labels: Sequence[str],
    on_demand: Sequence[OnDemandFeature] = (),
    transforms: Mapping[str, Transform] | None = None,
) -> ViewPlan:
    return plan_view(name, query, group_specs(services, query), labels, on_demand, transforms)


def group_specs(services: Services, query: Query) -> dict[tuple[str, int], FeatureGroupSpec]:
    return {
        key: FeatureGroupSpec.from_entry(services.catalog.get(FEATURE_GROUP, *key))
        for key in groups_of(query)
    }


def definition_json(
    query: Query,
    labels: Sequence[str],
    description: str,
    on_demand: Sequence[OnDemandFeature],
    transforms: Mapping[str, Transform],
) -> dict[str, Any]:
    """A view's definition as the catalog keeps it."""
    return {
        "query": query.to_json(),
        "labels": list(labels),
        "description": description,
        "on_demand": [f.to_json() for f in on_demand],
        "transforms": {feature: t.to_json() for feature, t in transforms.items()},
        "serving_dataset": None,
    }


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
        # The view's shape without its user code, so that listing and showing views import
        # nothing; the on-demand features and transforms load when first needed (_plan).
        self._groups = group_specs(services, self.query)
        self._outline = plan_view(self.name, self.query, self._groups, entry.body["labels"])
        self._on_demand_json: list[dict[str, Any]] = entry.body["on_demand"]
        self._transforms_json: dict[str, dict[str, Any]] = entry.body["transforms"]
        self._full_plan: ViewPlan | None = None
        self._serving_dataset: int | None = entry.body["serving_dataset"]
        self._serving_stats: Statistics | None = None
        self._vector_transform: VectorTransform | None = None

    def __repr__(self) -> str:
        return f"FeatureView({self.label}, features={len(self.features)}, labels={self.labels})"

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def keys(self) -> list[str]:
        """The entity key columns (the first feature group's primary key)."""
        return list(self._outline.keys)

    @property
    def event_time(self) -> str:
        return self._outline.event_time

    @property
    def features(self) -> list[str]:
        """Feature names, in the view's order (the order of vectors and training columns)."""
        on_demand = [f["name"] for f in self._on_demand_json]
        return [*self._outline.features, *(f for f in on_demand if f not in self.labels)]

    @property
    def feature_types(self) -> dict[str, pa.DataType]:
        """The Arrow type of each feature."""
        return {f: self._plan.types[f] for f in self._plan.features}

    @property
    def labels(self) -> list[str]:
        return list(self._outline.labels)

    @property
    def request_parameters(self) -> list[str]:
        """What each online request must bring for the on-demand features."""
        return list(self._plan.request)

    @property
    def transforms(self) -> dict[str, Transform]:
        return dict(self._plan.transforms)

    @property
    def serving_dataset(self) -> int | None:
        """The training dataset version whose fitted statistics transform served vectors."""
        return self._serving_dataset

    def bind(self, training_dataset: int | TrainingDataset) -> None:
        """Serve with the statistics fitted on this training dataset (an explicit change)."""
        version = (
            training_dataset if isinstance(training_dataset, int) else training_dataset.version
        )
        self.get_training_dataset(version)  # it must exist

        def change(body: JsonBody) -> JsonBody:
            return {**body, "serving_dataset": version}

        update_with_retry(self._services.catalog, FEATURE_VIEW, self.name, self.version, change)
        self._serving_dataset, self._serving_stats = version, None
        self._vector_transform = None

    @property
    def _obj(self) -> str:
        return f"feature view {self.label}"

    @property
    def _plan(self) -> ViewPlan:
        """The whole plan: the on-demand features and transforms, imported on first use
        from trusted modules only (``featurehouse.common.imports``)."""
        if self._full_plan is None:
            trusted = self._services.settings.trusted_modules
            on_demand = [
                on_demand_from_json(f, trusted, owner=self._obj) for f in self._on_demand_json
            ]
            transforms = {
                feature: transform_from_json(t, trusted, owner=f"{self._obj} ({feature!r})")
                for feature, t in self._transforms_json.items()
            }
            self._full_plan = plan_view(
                self.name, self.query, self._groups, self.labels, on_demand, transforms
            )
        return self._full_plan

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
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        transformed: bool = False,
    ) -> Result:
        """For every entity with rows in the first group in ``[start, end]``, its features as of
        ``end`` (default: now): what a batch inference job scores. The event-time column holds
        ``end``. ``transformed`` applies the bound training dataset's statistics."""
        if self._plan.request:
            raise SchemaError(
                f"{self._obj}: batch data cannot compute on-demand features that take request "
                f"parameters {list(self._plan.request)}; use training_data with a spine that "
                "holds them",
                obj=self.label,
                column=next(iter(self._plan.request)),
            )
        end_time = as_utc(end) or datetime.now(UTC)
        start_time = as_utc(start)
        root = self._plan.sources[0].group
        tables = view_reader.open_tables(self._services, self._plan)
        keys = self._services.engine.scan(
            self._services.offline.dataset(tables[root.label]),
            list(self._plan.keys),
            self._plan.event_time,
            start_time,
            end_time + timedelta(microseconds=1),
        )

        keys = self._services.engine.last_per_group(keys, self._plan.keys)
        spine = keys.append_column(
            self._plan.event_time,
            pa.array([end_time] * keys.num_rows, self._plan.types[self._plan.event_time]),
        )
        rows = view_reader.training_rows(self._services, self._plan, tables, spine)
        rows = rows.select([*self._plan.keys, self._plan.event_time, *self._plan.features])
        if transformed:
            rows = transform_table(rows, self._plan.transforms, self._statistics())
        return Result(rows)

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

        ordered = rows.take(pc.sort_indices(rows, [(self.event_time, "ascending")]))
        cut = ordered.num_rows - round(ordered.num_rows * test_size)
        return Result(ordered.slice(0, cut)), Result(ordered.slice(cut))

    def train_test_split_xy(
        self,
        test_size: float = 0.2,
        spine: Any = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        by: str = "time",
        seed: int = 0,
    ) -> tuple[Result, Result, Result, Result]:
        """The split of ``train_test_split`` as a model takes it, as in Hopsworks:
        ``X_train, X_test, y_train, y_test``. X holds the features only (no keys, event time
        or labels), transformed with statistics fitted on the train split alone; y the labels.

        >>> X_train, X_test, y_train, y_test = fv.train_test_split_xy(0.2, spine=labels_df)
        """
        if not self.labels:
            raise DataError(
                f"{self._obj}: has no labels to split off as y; declare labels= on the view "
                "or use train_test_split",
                obj=self.label,
                expected="a view with labels",
            )
        train, test = self.train_test_split(
            test_size, spine, start=start, end=end, by=by, seed=seed
        )
        stats = fit(self._plan.transforms, train.to_arrow())

        def features(rows: Result) -> Result:
            table = rows.to_arrow().select(self.features)
            return Result(transform_table(table, self._plan.transforms, stats))

        def labels(rows: Result) -> Result:
            return Result(rows.to_arrow().select(self.labels))

        return features(train), features(test), labels(train), labels(test)

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
        # Model-dependent statistics come from the train split only: never from test rows.
        fitted = fit(self._plan.transforms, parts.get("train", rows))
        body = {
            "feature_view": self.name,
            "feature_view_version": self.version,
            "rows": {split: part.num_rows for split, part in parts.items()},
            "group_versions": versions,
            "splits": _splits_json(splits),
            "seed": seed,
            "statistics": fitted,
            "description": description,
        }
        return self._dataset(
            store_training_dataset(self._services, self.name, self.version, parts, body)
        )

    def get_training_dataset(self, version: int | None = None) -> TrainingDataset:
        """A training dataset of this view: the latest, or ``version``."""
        entry = self._services.catalog.get(
            TRAINING_DATASET, catalog_name(self.name, self.version), version
        )
        return self._dataset(entry)

    def list_training_datasets(self) -> list[TrainingDataset]:
        entries = self._services.catalog.list(
            TRAINING_DATASET, catalog_name(self.name, self.version)
        )
        return [self._dataset(e) for e in entries]

    def _dataset(self, entry: Entry) -> TrainingDataset:
        return TrainingDataset.from_entry(
            entry, services=self._services, transforms=_Transforms(self)
        )

    def _statistics(self) -> Statistics:
        """The fitted statistics of the bound training dataset (loaded once)."""
        if not self._plan.transforms:
            return {}
        if self._serving_stats is None:
            if self._serving_dataset is None:
                raise DataError(
                    f"{self._obj}: transformed data needs fitted statistics; bind a training "
                    "dataset first (fv.bind(td))",
                    obj=self.label,
                    expected="a bound training dataset",
                )
            self._serving_stats = self.get_training_dataset(self._serving_dataset).statistics
        return self._serving_stats

    # -- online --------------------------------------------------------------------

    def get_feature_vector(
        self,
        entity: Mapping[str, Any],
        request: Mapping[str, Any] | None = None,
        *,
        transformed: bool = False,
    ) -> dict[str, Any]:
        """The features of one entity from the online store, in the view's order (None
        where a group has no row for it), with on-demand features computed from
        ``request``. ``transformed`` applies the bound training dataset's statistics."""
        return self._vectors([entity], [request or {}], transformed)[0][0]

    def get_feature_vectors(
        self,
        entities: Any,
        request: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        transformed: bool = False,
    ) -> Result:
        """Entity keys and features of many entities (a list of dicts or a DataFrame);
        ``request`` is one dict for all of them or one per entity."""
        if isinstance(entities, Sequence) and not isinstance(entities, str):
            entity_list = list(entities)
        else:
            entity_list = to_arrow(self._obj, entities).select(self.keys).to_pylist()
        if not transformed:  # read column by column
            requests = _requests(request, len(entity_list))
            keys = self._online_keys(entity_list, requests)
            columns = view_reader.feature_table(self._services, self._plan, keys, requests)
            return Result(pa.table({c: columns[c] for c in [*self.keys, *self._plan.features]}))
        vectors = self.get_feature_vector_list(entity_list, request, transformed=transformed)
        names = list(vectors[0]) if vectors else self.feature_vector_names(transformed)
        columns = {k: pa.array([e[k] for e in entity_list], self._plan.types[k]) for k in self.keys}
        for name in names:
            columns[name] = pa.array([v[name] for v in vectors])
        return Result(pa.table(columns))

    def get_feature_vector_list(
        self,
        entities: Sequence[Mapping[str, Any]],
        request: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        transformed: bool = False,
    ) -> list[dict[str, Any]]:
        """What ``get_feature_vector`` gives, for each of many entities, from one read per
        feature group: plain dicts, the light shape for a server answering a request."""
        return self.get_feature_vector_list_found(entities, request, transformed=transformed)[0]

    def get_feature_vector_list_found(
        self,
        entities: Sequence[Mapping[str, Any]],
        request: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        transformed: bool = False,
    ) -> tuple[list[dict[str, Any]], list[bool]]:
        """``get_feature_vector_list``, and whether each entity was found (the view's first
        feature group has a row for it, within its ttl), from the same reads."""
        return self._vectors(entities, _requests(request, len(entities)), transformed)

    def feature_vector_names(self, transformed: bool = False) -> list[str]:
        """The names of a vector's values in order: the features, or with ``transformed``
        the transforms' outputs (a one-hot encoded feature gives one name per category)."""
        if not transformed:
            return list(self._plan.features)
        return output_names(self._plan.features, self._plan.transforms, self._statistics())

    def _vectors(
        self,
        entities: Sequence[Mapping[str, Any]],
        requests: Sequence[Mapping[str, Any]],
        transformed: bool,
    ) -> tuple[list[dict[str, Any]], list[bool]]:
        keys = self._online_keys(entities, requests)
        rows, found = view_reader.feature_vectors(self._services, self._plan, keys, requests)
        vectors = [{f: row[f] for f in self._plan.features} for row in rows]
        if transformed and self._plan.transforms:
            if self._vector_transform is None:
                self._vector_transform = VectorTransform(self._plan.transforms, self._statistics())
            return [self._vector_transform(v) for v in vectors], found
        return vectors, found

    def _online_keys(
        self, entities: Sequence[Mapping[str, Any]], requests: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """The entities' keys, after checking that the view reads online and the requests."""
        plan = self._plan
        view_reader.require_online(self._obj, plan)
        fields = set(plan.keys)
        for entity in entities:  # a dict first: isinstance on an ABC is slower
            if not (type(entity) is dict or isinstance(entity, Mapping)) or entity.keys() != fields:
                self._refuse_entity(entity)
        for request in {id(r): r for r in requests}.values():  # one shared by all: once
            view_reader.check_request(self._obj, plan, request)
        return [tuple([entity[k] for k in plan.keys]) for entity in entities]

    def _refuse_entity(self, entity: Any) -> None:
        received = sorted(entity) if isinstance(entity, Mapping) else type(entity).__name__
        raise DataError(
            f"{self._obj}: an entity must be a dict with exactly the fields "
            f"{list(self._plan.keys)}, received {received}",
            obj=self.label,
            expected=list(self._plan.keys),
            received=received,
        )

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
            missing = self._spine_labels() + list(self._plan.request)
            if missing:
                raise SchemaError(
                    f"{self._obj}: {missing} are labels or request parameters, not features of "
                    "the view; pass a spine that holds them",
                    obj=self.label,
                    column=missing[0],
                )
            rows = view_reader.training_rows(
                self._services, self._plan, tables, None, as_utc(start), as_utc(end)
            )
        else:
            spine = view_reader.conform_spine(self._obj, self._plan, spine)
            rows = view_reader.training_rows(self._services, self._plan, tables, spine)
        return rows, read_versions


class _Transforms(Mapping[str, Transform]):
    """A view's transforms, imported when a dataset first reads them transformed: listing
    and showing datasets import no user code."""

    def __init__(self, view: FeatureView) -> None:
        self._view = view

    def __getitem__(self, feature: str) -> Transform:
        return self._view._plan.transforms[feature]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view._plan.transforms)

    def __len__(self) -> int:
        return len(self._view._plan.transforms)


def _requests(
    request: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, count: int
) -> list[Mapping[str, Any]]:
    """One request per entity, from one for all (or none) or one each."""
    if request is None or isinstance(request, Mapping):
        return [request or {}] * count
    return list(request)


def _utc_splits(splits: Splits | None) -> Splits | None:
    if not splits:
        return splits
    out: dict[str, Any] = {}
    for name, value in splits.items():
        if isinstance(value, tuple):
            out[name] = (as_utc(value[0]), as_utc(value[1]))
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
