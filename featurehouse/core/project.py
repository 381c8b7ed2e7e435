"""A project's feature groups and feature views: the core of ``FeatureStore``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Self

import pyarrow as pa

from featurehouse.catalog.base import Entry, JsonBody, describe
from featurehouse.catalog.numbering import create_next, next_version
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.catalog.suggest import get_entry
from featurehouse.config import Settings
from featurehouse.core.definition_diff import group_differences, refuse, view_differences
from featurehouse.core.feature_group import FeatureGroup
from featurehouse.core.feature_view import FEATURE_VIEW, FeatureView, definition_json, load_plan
from featurehouse.core.query import Query
from featurehouse.core.services import Services
from featurehouse.core.view_plan import pinned_query
from featurehouse.errors import AlreadyExistsError, NotFoundError, SchemaError
from featurehouse.transforms.base import Transform
from featurehouse.transforms.on_demand import OnDemandFeature
from featurehouse.types import (
    check_column_names,
    check_object_name,
    check_schema,
    check_ttl,
    check_version,
)
from featurehouse.validation.expectation import Expectation, check_suite
from featurehouse.validation.suite import check_policy, current_suite, save_suite


class Project:
    """A project's feature groups and feature views, over its services."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services = Services(settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._services.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.settings.home)!r})"

    @property
    def online_network_reads(self) -> bool:
        """Whether an online read waits on the network (Redis) rather than reading a local
        file (SQLite): the HTTP service runs such reads off its event loop."""
        return self._services.online.network_reads

    def create_feature_group(
        self,
        name: str,
        *,
        primary_key: Sequence[str],
        event_time: str,
        version: int | None = None,
        online: bool = False,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        ttl: timedelta | float | None = None,
        owner: str | None = None,
        schema: pa.Schema | None = None,
        expectations: Sequence[Expectation] = (),
        on_invalid: str = "raise",
    ) -> FeatureGroup:
        """Define a feature group. ``version`` defaults to one above the latest.

        The schema is inferred from the first insert when not given. ``ttl`` (a timedelta
        or seconds) makes older rows count as absent. ``expectations`` are checked on every
        insert; ``on_invalid`` says what a failing batch does ("raise" or "quarantine").
        """
        check_object_name("feature group", name)
        label = f"{name}:{version if version is not None else 'new'}"
        if isinstance(primary_key, str):
            primary_key = [primary_key]
        if not primary_key:
            raise SchemaError(
                f"feature group {label}: primary_key needs at least one column",
                obj=label,
                expected="one or more columns",
                received=list(primary_key),
            )
        if event_time in primary_key:
            raise SchemaError(
                f"feature group {label}: the event-time column {event_time!r} cannot be in the primary key",
                obj=label,
                column=event_time,
            )
        repeated = sorted({c for c in primary_key if list(primary_key).count(c) > 1})
        if repeated:
            raise SchemaError(
                f"feature group {label}: primary_key names column {repeated[0]!r} more than once",
                obj=label,
                column=repeated[0],
                expected="distinct columns",
                received=list(primary_key),
            )
        check_column_names(f"feature group {label}", [*primary_key, event_time])
        requested = version
        if version is None:  # for messages until create_next numbers it
            version = next_version(self._services.catalog, FEATURE_GROUP, name)
        check_version(f"feature group {name}", version)
        ttl = check_ttl(f"feature group {label}", ttl)
        spec = FeatureGroupSpec(
            name=name,
            version=version,
            primary_key=tuple(primary_key),
            event_time=event_time,
            online=online,
            description=description,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            ttl=ttl,
            owner=owner,
        )
        if schema is not None:
            spec = spec.with_schema(
                check_schema(f"feature group {spec.label}", schema, primary_key, event_time)
            )
        check_suite(f"feature group {spec.label}", list(expectations), spec.schema)
        check_policy(f"feature group {spec.label}", on_invalid)
        spec = FeatureGroupSpec.from_entry(
            self._create(FEATURE_GROUP, name, requested, spec.to_json())
        )
        if spec.schema is not None:
            self._services.offline.create(spec.table_id, spec.schema, change_feed=spec.online)
        if expectations or on_invalid != "raise":
            save_suite(self._services.catalog, spec, expectations, on_invalid)
        return FeatureGroup(self._services, spec)

    def create_feature_view(
        self,
        name: str,
        *,
        query: Query,
        version: int | None = None,
        labels: Sequence[str] = (),
        description: str = "",
        on_demand: Sequence[OnDemandFeature] = (),
        transforms: Mapping[str, Transform] | None = None,
    ) -> FeatureView:
        """Define a feature view over a query of feature groups, with labels.

        Labels are features of the query (taken out of the feature vector) or columns that
        spines bring. The query is checked now: unknown features, colliding names and joins
        on mismatched key types are refused before anything is stored.
        """
        check_object_name("feature view", name)
        if isinstance(labels, str):
            labels = [labels]
        if version is not None:
            check_version(f"feature view {name}", version)
        transforms = dict(transforms or {})
        plan = load_plan(self._services, name, query, labels, on_demand, transforms)
        body = definition_json(
            pinned_query(query, plan), labels, description, on_demand, transforms
        )
        return FeatureView(self._services, self._create(FEATURE_VIEW, name, version, body))

    def _create(self, kind: str, name: str, version: int | None, body: JsonBody) -> Entry:
        """Create ``name`` at ``version``, or at the next free version when it is None (two
        concurrent creators both succeed, with different versions)."""
        if version is None:
            return create_next(self._services.catalog, kind, name, lambda _: body)
        try:
            return self._services.catalog.create(kind, name, version, body)
        except AlreadyExistsError as exc:
            raise AlreadyExistsError(
                f"{describe(kind)} {name}:{version} already exists; get it with get_{kind}("
                f"{name!r}, version={version}) or create version {version + 1}",
                obj=f"{name}:{version}",
            ) from exc

    def get_or_create_feature_view(
        self,
        name: str,
        *,
        query: Query,
        version: int | None = None,
        labels: Sequence[str] = (),
        description: str = "",
        on_demand: Sequence[OnDemandFeature] = (),
        transforms: Mapping[str, Transform] | None = None,
    ) -> FeatureView:
        """The feature view ``name`` (``version``, or the latest) if it exists with this
        definition, else a new one (version 1 when none exists); arguments as
        ``create_feature_view``. A view stored with another definition is a SchemaError
        naming each difference. When two processes create it at once, both get the same view.
        """
        if isinstance(labels, str):
            labels = [labels]
        definition: dict[str, Any] = {
            "query": query,
            "labels": labels,
            "description": description,
            "on_demand": on_demand,
            "transforms": transforms,
        }
        try:
            return self._same_view(name, version, definition)
        except NotFoundError:
            pass
        try:
            return self.create_feature_view(name, version=version or 1, **definition)
        except AlreadyExistsError:  # a concurrent create won: use its view if it is the same
            return self._same_view(name, version, definition)

    def _same_view(self, name: str, version: int | None, definition: dict[str, Any]) -> FeatureView:
        entry = get_entry(self._services.catalog, FEATURE_VIEW, name, version)
        transforms = dict(definition["transforms"] or {})
        query, labels, on_demand = (
            definition["query"],
            definition["labels"],
            definition["on_demand"],
        )
        plan = load_plan(self._services, name, query, labels, on_demand, transforms)
        given = definition_json(
            pinned_query(query, plan), labels, definition["description"], on_demand, transforms
        )
        differences = view_differences(entry.body, given)
        if differences:
            raise refuse("feature view", f"{name}:{entry.version}", differences)
        return FeatureView(self._services, entry)

    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView:
        """A feature view by name: the latest version, or ``version``."""
        if version is not None:
            check_version(f"feature view {name}", version)
        entry = get_entry(self._services.catalog, FEATURE_VIEW, name, version)
        return FeatureView(self._services, entry)

    def list_feature_views(self, name: str | None = None) -> list[FeatureView]:
        return [
            FeatureView(self._services, e) for e in self._services.catalog.list(FEATURE_VIEW, name)
        ]

    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup:
        """A feature group by name: the latest version, or ``version``."""
        if version is not None:
            check_version(f"feature group {name}", version)
        entry = get_entry(self._services.catalog, FEATURE_GROUP, name, version)
        return FeatureGroup(self._services, FeatureGroupSpec.from_entry(entry))

    def get_or_create_feature_group(
        self,
        name: str,
        *,
        primary_key: Sequence[str],
        event_time: str,
        version: int | None = None,
        online: bool = False,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        ttl: timedelta | float | None = None,
        owner: str | None = None,
        schema: pa.Schema | None = None,
        expectations: Sequence[Expectation] = (),
        on_invalid: str = "raise",
    ) -> FeatureGroup:
        """The feature group ``name`` (``version``, or the latest) if it exists with this
        definition, else a new one (version 1 when none exists); arguments as
        ``create_feature_group``. A group stored with another definition is a SchemaError
        naming each difference (columns that inserts added since are none). When two
        processes create it at once, both get the same group.

        >>> fg = fs.get_or_create_feature_group("transactions", primary_key=["cc_num"],
        ...                                     event_time="ts", online=True)
        """
        definition: dict[str, Any] = {
            "primary_key": primary_key,
            "event_time": event_time,
            "online": online,
            "description": description,
            "tags": tags,
            "ttl": ttl,
            "owner": owner,
            "schema": schema,
            "expectations": expectations,
            "on_invalid": on_invalid,
        }
        try:
            return self._same_group(name, version, definition)
        except NotFoundError:
            pass
        try:
            return self.create_feature_group(name, version=version or 1, **definition)
        except AlreadyExistsError:  # a concurrent create won: use its group if it is the same
            return self._same_group(name, version, definition)

    def _same_group(
        self, name: str, version: int | None, definition: dict[str, Any]
    ) -> FeatureGroup:
        spec = FeatureGroupSpec.from_entry(
            get_entry(self._services.catalog, FEATURE_GROUP, name, version)
        )
        suite = current_suite(self._services.catalog, spec)
        differences = group_differences(spec, suite, definition)
        if differences:
            raise refuse("feature group", spec.label, differences)
        return FeatureGroup(self._services, spec)

    def list_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        """Every feature group version (of ``name``), ordered by name and version."""
        return [
            FeatureGroup(self._services, FeatureGroupSpec.from_entry(e))
            for e in self._services.catalog.list(FEATURE_GROUP, name)
        ]
