"""Feature group definitions as the catalog keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.base import Entry
from featurehouse.types import OnlineTable, schema_from_json, schema_to_json

if TYPE_CHECKING:
    import pyarrow as pa

FEATURE_GROUP = "feature_group"


@dataclass(frozen=True)
class FeatureGroupSpec:
    name: str
    version: int
    primary_key: tuple[str, ...]
    event_time: str
    online: bool = False
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    ttl: timedelta | None = None
    owner: str | None = None
    schema: pa.Schema | None = None
    # The last offline (Delta) version whose rows are in the online store.
    online_version: int = -1

    @property
    def table_id(self) -> str:
        return f"{self.name}_v{self.version}"

    @property
    def label(self) -> str:
        """How errors name this group: ``transactions:1``."""
        return f"{self.name}:{self.version}"

    @cached_property
    def online_table(self) -> OnlineTable:
        """What the online store knows of this group (built once: lookups are hot)."""
        assert self.schema is not None
        return OnlineTable(self.table_id, self.schema, self.primary_key, self.event_time)

    def with_schema(self, schema: pa.Schema) -> FeatureGroupSpec:
        return replace(self, schema=schema)

    def to_body(self) -> dict[str, Any]:
        return {
            "primary_key": list(self.primary_key),
            "event_time": self.event_time,
            "online": self.online,
            "description": self.description,
            "tags": dict(self.tags),
            "ttl_seconds": None if self.ttl is None else self.ttl.total_seconds(),
            "owner": self.owner,
            "schema": None if self.schema is None else schema_to_json(self.schema),
            "online_version": self.online_version,
        }

    @classmethod
    def from_entry(cls, entry: Entry) -> FeatureGroupSpec:
        body = entry.body
        return cls(
            name=entry.name,
            version=entry.version,
            primary_key=tuple(body["primary_key"]),
            event_time=body["event_time"],
            online=body["online"],
            description=body["description"],
            tags=body["tags"],
            ttl=None if body["ttl_seconds"] is None else timedelta(seconds=body["ttl_seconds"]),
            owner=body["owner"],
            schema=None if body["schema"] is None else schema_from_json(body["schema"]),
            online_version=body["online_version"],
        )
