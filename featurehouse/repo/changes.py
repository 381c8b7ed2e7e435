"""The changes ``apply`` makes to existing objects: in-place updates of feature groups and
views, and removals guarded by what still uses an object.

A removal is refused, before anything is deleted, while a deployment serves the object
(through its feature view), a registered model was trained on it, or a view that stays
reads it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.catalog.base import JsonBody, update_with_retry
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.core.feature_view import FEATURE_VIEW
from featurehouse.core.online_sync import rebuild_online
from featurehouse.core.query import Query
from featurehouse.core.recovery import record_schema
from featurehouse.core.training_dataset import TRAINING_DATASET, catalog_name, table_id
from featurehouse.errors import ConflictError
from featurehouse.models.registry import DEPLOYMENT, MODEL

if TYPE_CHECKING:
    from featurehouse.core.services import Services

GroupKey = tuple[str, int]


def update_group(
    services: Services, spec: FeatureGroupSpec, updates: Mapping[str, Any], columns: list[pa.Field]
) -> None:
    """Set metadata fields, grow the schema by nullable ``columns`` and turn the online
    store on or off, in place."""
    if columns:
        if spec.schema is None:  # declared now: the table starts with the whole schema
            schema = pa.schema(columns)
            online = bool(updates.get("online", spec.online))
            services.offline.create(spec.table_id, schema, change_feed=online)
        else:
            services.offline.add_columns(spec.table_id, columns)
            schema = pa.schema([*spec.schema, *columns])
        spec = record_schema(services, spec, schema)
    body_updates = {k: v for k, v in updates.items() if k != "online"}
    if "online" in updates:
        body_updates["online"] = bool(updates["online"])
    if body_updates:

        def change(body: JsonBody) -> JsonBody:
            return {**body, **body_updates}

        entry = update_with_retry(services.catalog, FEATURE_GROUP, spec.name, spec.version, change)
        before, spec = spec, FeatureGroupSpec.from_entry(entry)
        if "online" in updates and spec.schema is not None:
            _switch_online(services, before, spec)


def _switch_online(services: Services, before: FeatureGroupSpec, after: FeatureGroupSpec) -> None:
    if after.online:
        services.offline.enable_change_feed(after.table_id)
        rebuild_online(services, after, services.offline.open(after.table_id))
    else:
        services.online.drop(before.online_table)


def update_view_description(services: Services, name: str, version: int, text: str) -> None:
    def change(body: JsonBody) -> JsonBody:
        return {**body, "description": text}

    update_with_retry(services.catalog, FEATURE_VIEW, name, version, change)


def check_removals(
    services: Services,
    groups: Collection[GroupKey],
    views: Collection[GroupKey],
    staying_deployments: Mapping[str, GroupKey],
) -> None:
    """Refuse (ConflictError naming the user) to remove an object something still uses.

    ``staying_deployments``: each deployment that stays, with the view it will serve.
    """
    for deployment, view in sorted(staying_deployments.items()):
        if view in views:
            _refuse("feature view", view, f"deployment {deployment!r} serves it")
    for entry in services.catalog.list(MODEL):
        trained_on = entry.body.get("lineage", {}).get("feature_view")
        if trained_on and (trained_on["name"], int(trained_on["version"])) in views:
            view = (trained_on["name"], int(trained_on["version"]))
            _refuse("feature view", view, f"model {entry.name}:{entry.version} was trained on it")
    for entry in services.catalog.list(FEATURE_VIEW):
        if (entry.name, entry.version) in views:
            continue
        for group in Query.from_json(entry.body["query"]).selections:
            if (group.group, group.version) in groups:
                reader = f"feature view {entry.name}:{entry.version} reads it"
                _refuse("feature group", (group.group, group.version), reader)


def _refuse(kind: str, key: GroupKey, reason: str) -> None:
    label = f"{key[0]}:{key[1]}"
    raise ConflictError(
        f"cannot remove {kind} {label}: {reason}; nothing was changed. Keep it in the repo, "
        "or change what uses it first",
        obj=label,
    )


def serving_views(services: Services) -> dict[str, GroupKey]:
    """The view each deployment's current revision serves."""
    current: dict[str, GroupKey] = {}
    for entry in services.catalog.list(DEPLOYMENT):  # ordered by revision: the last wins
        name, version = entry.body["feature_view"]
        current[entry.name] = (name, int(version))
    return current


def remove_view(services: Services, name: str, version: int) -> None:
    """Delete a view and its training datasets (their tables too)."""
    datasets = catalog_name(name, version)
    for entry in services.catalog.list(TRAINING_DATASET, datasets):
        for split in entry.body["rows"]:
            services.offline.drop(table_id(name, version, entry.version, split))
        services.catalog.delete(TRAINING_DATASET, datasets, entry.version)
    services.catalog.delete(FEATURE_VIEW, name, version)


def remove_group(services: Services, spec: FeatureGroupSpec) -> None:
    """Delete a group's rows offline and online, then its definition."""
    if spec.schema is not None:
        if spec.online:
            services.online.drop(spec.online_table)
        services.offline.drop(spec.table_id)
    services.catalog.delete(FEATURE_GROUP, spec.name, spec.version)
