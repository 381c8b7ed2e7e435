"""Feature group definitions as the catalog keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property

import pyarrow as pa

from featurehouse.catalog.codec import Record, entry_attribute, stored_as
from featurehouse.types import OnlineTable

FEATURE_GROUP = "feature_group"


@dataclass(frozen=True)
class FeatureGroupSpec(Record):
    name: str = field(metadata=entry_attribute("name"))
    version: int = field(metadata=entry_attribute("version"))
    primary_key: tuple[str, ...]
    event_time: str
    online: bool = False
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    ttl: timedelta | None = field(default=None, metadata=stored_as("ttl_seconds"))
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
