"""Applying a plan: create and change what the repo declares, remove (with ``prune``) what
it no longer does. Everything that can refuse is checked before the first change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from featurehouse.catalog.base import describe
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core.feature_view import FEATURE_VIEW
from featurehouse.errors import SchemaError
from featurehouse.models.registry import DEPLOYMENT
from featurehouse.repo import changes as catalog_changes
from featurehouse.repo.plan import BREAKING, CHANGE, CREATE, REMOVE, Change, Plan
from featurehouse.repo.state import managed_objects, set_managed

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.store import FeatureStore


@dataclass(frozen=True)
class Applied:
    """What an apply did."""

    created: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]  # removed from the repo, left in the catalog (no prune)


def apply_plan(store: FeatureStore, plan: Plan, *, prune: bool = False) -> Applied:
    """Perform ``plan``. Breaking changes, and removals of objects still in use, are refused
    with nothing changed."""
    services: Services = store._services
    _refuse_breaking(plan.of(BREAKING))
    removals = plan.of(REMOVE) if prune else []
    removed_views = {(c.name, c.version) for c in removals if c.kind == FEATURE_VIEW}
    removed_groups = {(c.name, c.version) for c in removals if c.kind == FEATURE_GROUP}
    if removals:
        staying = catalog_changes.serving_views(services)
        for change in plan.of(CREATE) + plan.of(CHANGE):
            if change.kind == DEPLOYMENT:
                staying[change.name] = _view_of(store, change)
        catalog_changes.check_removals(services, removed_groups, removed_views, staying)
    created: list[str] = []
    changed: list[str] = []
    # Groups before the views that read them, views before the deployments that serve them.
    for kind in (FEATURE_GROUP, FEATURE_VIEW, DEPLOYMENT):
        for change in plan.changes:
            if change.kind != kind or change.action not in (CREATE, CHANGE):
                continue
            _perform(store, plan, change)
            (created if change.action == CREATE else changed).append(_name(change))
    removed: list[str] = []
    for change in sorted(removals, key=lambda c: c.kind != FEATURE_VIEW):  # views first
        if change.kind == FEATURE_VIEW:
            catalog_changes.remove_view(services, change.name, change.version)
        elif change.kind == FEATURE_GROUP:
            spec = FeatureGroupSpec.from_entry(
                services.catalog.get(FEATURE_GROUP, change.name, change.version)
            )
            catalog_changes.remove_group(services, spec)
        else:
            continue  # a deployment serves traffic: the repo stops managing it, that is all
        removed.append(_name(change))
    kept = [c for c in plan.of(REMOVE) if c.kind != DEPLOYMENT and _name(c) not in removed]
    managed = (managed_objects(services.catalog) | plan.declared) - {
        c.object_id for c in plan.of(REMOVE) if c.kind == DEPLOYMENT or _name(c) in removed
    }
    if managed != managed_objects(services.catalog):
        set_managed(services.catalog, managed)
    return Applied(tuple(created), tuple(changed), tuple(removed), tuple(_name(c) for c in kept))


def _refuse_breaking(breaking: list[Change]) -> None:
    if not breaking:
        return
    lines = [
        f"  {_name(c)}: {'; '.join(c.details)}; declare version={c.version + 1} to make it"
        for c in breaking
    ]
    first = breaking[0]
    raise SchemaError(
        f"apply refused, nothing was changed: {len(breaking)} breaking change(s) need a new "
        "version (bump version= in the repo):\n" + "\n".join(lines),
        obj=first.label,
        column=first.column,
        expected=f"version={first.version + 1}",
        received=f"version={first.version}",
    )


def _perform(store: FeatureStore, plan: Plan, change: Change) -> None:
    services: Services = store._services
    if change.kind == FEATURE_GROUP:
        group = plan.repo.groups[(change.name, change.version)]
        if change.action == CREATE:
            store.create_feature_group(**group.create_arguments())
        else:
            entry = services.catalog.get(FEATURE_GROUP, change.name, change.version)
            spec = FeatureGroupSpec.from_entry(entry)
            catalog_changes.update_group(services, spec, change.updates, list(change.columns))
            if change.suite is not None:  # after new columns: expectations may read them
                store.get_feature_group(change.name, change.version).set_expectations(
                    change.suite.expectations, on_invalid=change.suite.on_invalid
                )
    elif change.kind == FEATURE_VIEW:
        view = plan.repo.views[(change.name, change.version)]
        if change.action == CREATE:
            store.create_feature_view(
                view.name,
                query=view.query,
                version=view.version,
                labels=view.labels,
                description=view.description,
                on_demand=view.on_demand,
                transforms=view.transforms,
            )
        else:
            catalog_changes.update_view_description(
                services, view.name, view.version, view.description
            )
    else:
        store.deploy(
            change.name,
            model=change.updates["model"],
            split=change.updates["split"],
            note="featurehouse apply",
        )


def _view_of(store: FeatureStore, change: Change) -> tuple[str, int]:
    version = next(iter(change.updates["split"]))
    view = store.models.get(change.updates["model"], version).lineage["feature_view"]
    return (view["name"], int(view["version"]))


def _name(change: Change) -> str:
    return f"{describe(change.kind)} {change.label}"
