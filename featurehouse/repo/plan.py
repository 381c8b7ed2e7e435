"""The plan: how the catalog differs from a repo, object by object.

- **create**: declared, not in the catalog;
- **change**: differs only in what can change in place (a group's description, tags,
  owner, online flag, new nullable columns, expectations and ``on_invalid`` policy; a
  view's description; a deployment's model versions);
- **breaking**: differs in what needs a new version (a dropped or retyped column, the
  key, event time or ttl of a group; the query, labels, on-demand features or transforms
  of a view); ``apply`` refuses these;
- **remove**: applied from this repo before, no longer declared (removed only with
  ``prune``).

Objects the repo never declared (made from code, or by the platform, such as prediction
logs) are left alone and only counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.catalog.base import describe
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core.feature_view import FEATURE_VIEW, definition_json
from featurehouse.core.view_plan import groups_of, pinned_query, plan_view
from featurehouse.errors import DataError, NotFoundError
from featurehouse.models.registry import DEPLOYMENT
from featurehouse.repo.declarations import Deployment, FeatureGroup, FeatureView
from featurehouse.repo.expectations import DeclaredSuite, declared_suite, suite_changes, summary
from featurehouse.repo.loader import Repo
from featurehouse.repo.state import ObjectId, managed_objects
from featurehouse.types import check_object_name, check_schema

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog
    from featurehouse.core.services import Services
    from featurehouse.store import FeatureStore

CREATE, CHANGE, BREAKING, REMOVE = "create", "change", "breaking", "remove"
UNCHANGED = "unchanged"
ACTIONS = (CREATE, CHANGE, BREAKING, REMOVE)
# Group fields apply changes in place (catalog body key == declaration attribute).
GROUP_IN_PLACE = ("description", "tags", "owner", "online")
VIEW_BREAKING = ("query", "labels", "on_demand", "transforms")


@dataclass(frozen=True)
class Change:
    action: str
    kind: str  # a catalog kind: feature_group, feature_view, deployment
    name: str
    version: int  # 0 for a deployment (it has revisions, not versions)
    details: tuple[str, ...] = ()
    updates: Mapping[str, Any] = field(default_factory=dict)  # in place: field -> new value
    columns: tuple[pa.Field, ...] = ()  # nullable columns to add in place
    column: str | None = None  # the first column a breaking change concerns
    suite: DeclaredSuite | None = None  # expectations to store as a new suite version

    @property
    def label(self) -> str:
        return self.name if self.kind == DEPLOYMENT else f"{self.name}:{self.version}"

    @property
    def object_id(self) -> ObjectId:
        return (self.kind, self.name, self.version)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": describe(self.kind),
            "name": self.name,
            "version": None if self.kind == DEPLOYMENT else self.version,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class Plan:
    repo: Repo
    changes: tuple[Change, ...]  # every declared or removed object that differs
    unchanged: tuple[ObjectId, ...]
    unmanaged: tuple[ObjectId, ...]  # in the catalog, never declared by this repo

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def declared(self) -> set[ObjectId]:
        return declared_objects(self.repo)

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": str(self.repo.path),
            "changes": [c.to_json() for c in self.changes],
            "unchanged": len(self.unchanged),
            "unmanaged": [
                f"{describe(k)} {n}" + (f":{v}" if v else "") for k, n, v in self.unmanaged
            ],
        }


def make_plan(store: FeatureStore, repo: Repo) -> Plan:
    """Compare ``repo`` with the catalog of ``store``; nothing is changed."""
    services: Services = store._services
    catalog = services.catalog
    groups = {
        (e.name, e.version): FeatureGroupSpec.from_entry(e) for e in catalog.list(FEATURE_GROUP)
    }
    views = {(e.name, e.version): e.body for e in catalog.list(FEATURE_VIEW)}
    deployments = {d.name: d for d in store.deployments.list()}
    changes: list[Change] = []
    targets = dict(groups)
    for key, group in sorted(repo.groups.items()):
        change, targets[key] = _diff_group(group, groups.get(key), groups, catalog)
        changes.append(change)
    for key, view in sorted(repo.views.items()):
        changes.append(_diff_view(view, views.get(key), targets))
    for name, deployment in sorted(repo.deployments.items()):
        changes.append(_diff_deployment(store, deployment, deployments.get(name)))
    in_catalog = {
        *((FEATURE_GROUP, name, version) for name, version in groups),
        *((FEATURE_VIEW, name, version) for name, version in views),
        *((DEPLOYMENT, name, 0) for name in deployments),
    }
    declared, managed = declared_objects(repo), managed_objects(catalog)
    for kind, name, version in sorted(managed & in_catalog - declared):
        details = ("no longer in the repo",)
        if kind == DEPLOYMENT:
            details = ("no longer in the repo; apply never deletes a deployment (it serves)",)
        changes.append(Change(REMOVE, kind, name, version, details))
    return Plan(
        repo=repo,
        changes=tuple(c for c in changes if c.action != UNCHANGED),
        unchanged=tuple(c.object_id for c in changes if c.action == UNCHANGED),
        unmanaged=tuple(sorted(in_catalog - declared - managed)),
    )


def declared_objects(repo: Repo) -> set[ObjectId]:
    groups = {(FEATURE_GROUP, name, version) for name, version in repo.groups}
    views = {(FEATURE_VIEW, name, version) for name, version in repo.views}
    return groups | views | {(DEPLOYMENT, name, 0) for name in repo.deployments}


def target_spec(group: FeatureGroup) -> FeatureGroupSpec:
    """The group as the repo wants it, checked: names, key and event time, storable types."""
    check_object_name("feature group", group.name)
    schema = check_schema(
        f"feature group {group.label}", group.arrow_schema(), group.keys, group.event_time
    )
    return FeatureGroupSpec(
        name=group.name,
        version=group.version,
        primary_key=tuple(group.keys),
        event_time=group.event_time,
        online=group.online,
        description=group.description,
        tags={str(k): str(v) for k, v in group.tags.items()},
        ttl=group.ttl_delta,
        owner=group.owner,
        schema=schema,
    )


def _diff_group(
    group: FeatureGroup,
    current: FeatureGroupSpec | None,
    groups: Mapping[tuple[str, int], FeatureGroupSpec],
    catalog: Catalog,
) -> tuple[Change, FeatureGroupSpec]:
    target = target_spec(group)
    assert target.schema is not None
    suite = declared_suite(target, group.expectations, group.on_invalid)
    if current is None:
        details = [f"columns: {', '.join(target.schema.names)}", *summary(suite)]
        older = sorted(v for n, v in groups if n == group.name)
        if older:
            details.append(f"new version; the catalog has version(s) {older}")
        return Change(CREATE, FEATURE_GROUP, group.name, group.version, tuple(details)), target
    breaking: list[tuple[str, str | None]] = []
    for what, was, now in (
        ("primary key", list(current.primary_key), list(target.primary_key)),
        ("event time", current.event_time, target.event_time),
        ("ttl", current.ttl, target.ttl),
    ):
        if was != now:
            breaking.append((f"{what} {was} -> {now}", None))
    columns: list[pa.Field] = list(target.schema)
    if current.schema is not None:
        for f in current.schema:
            if f.name not in target.schema.names:
                breaking.append((f"column {f.name!r} dropped", f.name))
            elif target.schema.field(f.name).type != f.type:
                now = target.schema.field(f.name).type
                breaking.append((f"column {f.name!r} retyped {f.type} -> {now}", f.name))
        columns = [
            f.with_nullable(True) for f in target.schema if f.name not in current.schema.names
        ]
    if breaking:
        reasons = tuple(text for text, _ in breaking)
        first = next((c for _, c in breaking if c), None)
        change = Change(BREAKING, FEATURE_GROUP, group.name, group.version, reasons, column=first)
        return change, target
    updates = {
        name: getattr(target, name)
        for name in GROUP_IN_PLACE
        if getattr(target, name) != getattr(current, name)
    }
    details = [
        f"{name}: {getattr(current, name)!r} -> {value!r}" for name, value in updates.items()
    ]
    details += [f"add nullable column {f.name} {f.type}" for f in columns]
    suite_details = suite_changes(catalog, current, suite)
    details += suite_details
    action = CHANGE if details else UNCHANGED
    change = Change(
        action,
        FEATURE_GROUP,
        group.name,
        group.version,
        tuple(details),
        updates,
        tuple(columns),
        suite=suite if suite_details else None,
    )
    return change, target


def _diff_view(
    view: FeatureView,
    current: Mapping[str, Any] | None,
    groups: Mapping[tuple[str, int], FeatureGroupSpec],
) -> Change:
    check_object_name("feature view", view.name)
    for key in groups_of(view.query):
        if key not in groups:
            raise NotFoundError(
                f"feature view {view.label} reads feature group {key[0]}:{key[1]}, which is "
                "neither in the repo nor in the catalog",
                obj=view.label,
                expected="a declared feature group",
                received=f"{key[0]}:{key[1]}",
            )
    transforms = dict(view.transforms)
    labels = [view.labels] if isinstance(view.labels, str) else list(view.labels)
    plan = plan_view(view.name, view.query, groups, labels, view.on_demand, transforms)
    body = definition_json(
        pinned_query(view.query, plan), labels, view.description, view.on_demand, transforms
    )
    if current is None:
        details = (f"features: {', '.join(plan.features)}", f"reads {_query_text(body['query'])}")
        return Change(CREATE, FEATURE_VIEW, view.name, view.version, details)
    breaking = [
        f"{key}: {_text(key, current[key])} -> {_text(key, body[key])}"
        for key in VIEW_BREAKING
        if current[key] != body[key]
    ]
    if breaking:
        return Change(BREAKING, FEATURE_VIEW, view.name, view.version, tuple(breaking))
    if current["description"] != body["description"]:
        detail = f"description: {current['description']!r} -> {body['description']!r}"
        updates = {"description": body["description"]}
        return Change(CHANGE, FEATURE_VIEW, view.name, view.version, (detail,), updates)
    return Change(UNCHANGED, FEATURE_VIEW, view.name, view.version)


def _text(key: str, value: Any) -> str:
    return _query_text(value) if key == "query" else repr(value)


def _query_text(query: Mapping[str, Any]) -> str:
    parts = [query["root"], *query["joins"]]
    return " + ".join(
        f"{p['group']}:{p['version']}[{', '.join(p['features'] or ['*'])}]" for p in parts
    )


def _diff_deployment(store: FeatureStore, deployment: Deployment, current: Any) -> Change:
    check_object_name("deployment", deployment.name)
    if deployment.split is not None and deployment.version is not None:
        raise DataError(
            f"deployment {deployment.name!r}: declare version= or split=, not both",
            obj=deployment.name,
            expected="version or split",
            received={"version": deployment.version, "split": dict(deployment.split)},
        )
    split = dict(deployment.split or {})
    if not split:
        version = deployment.version or store.models.get(deployment.model).version
        split = {version: 1.0}
    for version in split:
        store.models.get(deployment.model, version)  # NotFoundError names a missing one
    target = {(deployment.model, int(v)): float(w) for v, w in split.items()}
    updates = {"model": deployment.model, "split": {int(v): float(w) for v, w in split.items()}}
    text = _split_text(target)
    if current is None:
        return Change(CREATE, DEPLOYMENT, deployment.name, 0, (f"serves {text}",), updates)
    served = {(s.model, s.version): s.weight for s in current.models}
    if served == target:
        return Change(UNCHANGED, DEPLOYMENT, deployment.name, 0)
    detail = f"{_split_text(served)} -> {text}"
    return Change(CHANGE, DEPLOYMENT, deployment.name, 0, (detail,), updates)


def _split_text(served: Mapping[tuple[str, int], float]) -> str:
    if len(served) == 1:
        ((model, version),) = served
        return f"{model}:{version}"
    return ", ".join(f"{m}:{v} {w:.0%}" for (m, v), w in sorted(served.items()))
