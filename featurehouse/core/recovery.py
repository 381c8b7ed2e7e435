"""Bringing the catalog up to the offline store, which is the source of truth.

A writer commits offline first and records a first or grown schema in the
catalog after. A writer killed in between leaves the catalog behind the table: after a
group's first commit its rows read as "no data yet", after a commit that added a column
the column is missing from reads and from the online store. The catalog is reconciled
with the table before anything relies on it; the online store then receives the
commit's rows by the usual replay of the versions past its watermark (``online_sync``).

A table that a killed first insert created but never wrote to counts too: its schema is
the group's from then on, as if that insert had declared it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from featurehouse.catalog.base import JsonBody, update_with_retry
from featurehouse.catalog.records import FEATURE_GROUP, FeatureGroupSpec
from featurehouse.errors import NotFoundError
from featurehouse.types import schema_from_json, schema_to_json, storage_type

if TYPE_CHECKING:
    from featurehouse.core.services import Services
    from featurehouse.offline.base import OfflineTable


def recover_schema(services: Services, spec: FeatureGroupSpec) -> FeatureGroupSpec:
    """``spec`` with the schema of its offline table when the catalog has none yet but
    the table exists (its first writer died before recording it). Costs nothing once a
    schema is known."""
    if spec.schema is not None:
        return spec
    try:
        table = services.offline.open(spec.table_id)
    except NotFoundError:
        return spec  # no insert got that far: there is no data yet
    return reconcile_schema(services, spec, table)


def reconcile_schema(
    services: Services, spec: FeatureGroupSpec, table: OfflineTable
) -> FeatureGroupSpec:
    """Record the columns the offline ``table`` has and the catalog lacks (all of them
    when the catalog has no schema yet). Cheap when nothing is missing: ``table`` is
    already loaded."""
    names = table.schema().names
    if spec.schema is not None and set(names) <= set(spec.schema.names):
        return spec
    return record_schema(services, spec, table_schema(table))


def table_schema(table: OfflineTable) -> pa.Schema:
    """The offline table's schema in the stored types (as an insert records them)."""
    return pa.schema([pa.field(f.name, storage_type(f.type) or f.type) for f in table.schema()])


def record_schema(
    services: Services, spec: FeatureGroupSpec, schema: pa.Schema
) -> FeatureGroupSpec:
    """Store the first or grown schema; a concurrent writer may have grown it further."""

    def change(body: JsonBody) -> JsonBody | None:
        stored = None if body["schema"] is None else schema_from_json(body["schema"])
        if stored is None:
            return {**body, "schema": schema_to_json(schema)}
        added = [f for f in schema if f.name not in stored.names]
        if not added:
            return None
        return {**body, "schema": schema_to_json(pa.schema([*stored, *added]))}

    entry = update_with_retry(services.catalog, FEATURE_GROUP, spec.name, spec.version, change)
    return FeatureGroupSpec.from_entry(entry)
