"""What a feature repo declares: plain objects that say what the catalog should hold.

A repo is a directory of Python files; every declaration at the top level of a file (or
in a top-level list) is part of it. Queries refer to groups declared in the same repo:

>>> transactions = FeatureGroup(name="transactions", primary_key=["cc_num"], event_time="ts",
...                             schema={"cc_num": "int64", "ts": "timestamp", "amount": "float64"})
>>> fraud = FeatureView(name="fraud", query=transactions.select(["amount"]), labels=["is_fraud"])
>>> serving = Deployment(name="fraud", model="fraud_xgb", version=3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pyarrow as pa

from featurehouse.core.query import Query, select
from featurehouse.errors import SchemaError
from featurehouse.transforms.base import Transform
from featurehouse.transforms.on_demand import OnDemandFeature
from featurehouse.types import check_ttl
from featurehouse.validation.expectation import Expectation

# Type names a schema may use; any pyarrow DataType is accepted too.
TYPE_NAMES = {
    "bool": "bool_",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "int": "int64",
    "float32": "float32",
    "float64": "float64",
    "float": "float64",
    "double": "float64",
    "string": "string",
    "str": "string",
    "binary": "binary",
    "date": "date32",
}
TIMESTAMP_NAMES = ("timestamp", "timestamp[us, tz=UTC]", "datetime")


def arrow_type(obj: str, column: str, value: Any) -> pa.DataType:
    """The Arrow type a schema entry names: a type name or a pyarrow DataType."""
    if isinstance(value, pa.DataType):
        return value
    if value in TIMESTAMP_NAMES:
        return pa.timestamp("us", tz="UTC")
    if isinstance(value, str) and value in TYPE_NAMES:
        factory: Any = getattr(pa, TYPE_NAMES[value])
        result: pa.DataType = factory()
        return result
    raise SchemaError(
        f"{obj}: column {column!r} has an unknown type {value!r}; use a pyarrow type or one of "
        f"{[*TYPE_NAMES, 'timestamp']}",
        obj=obj,
        column=column,
        expected=[*TYPE_NAMES, "timestamp"],
        received=value,
    )


@dataclass(frozen=True)
class FeatureGroup:
    """A feature group as the repo declares it (``version`` is its identity).

    A new field is added here, in ``create_arguments`` and, if ``apply`` may change it in
    place, in ``plan.GROUP_IN_PLACE``. ``expectations`` and ``on_invalid`` change in place
    too, as a new suite version (see ``repo.expectations``).
    """

    name: str
    primary_key: Sequence[str]
    event_time: str
    schema: Mapping[str, Any]
    version: int = 1
    online: bool = False
    ttl: timedelta | float | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    owner: str | None = None
    expectations: Sequence[Expectation] = ()  # checked on every insert
    on_invalid: str = "raise"  # what a failing batch does: "raise" or "quarantine"

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def keys(self) -> list[str]:
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)

    @property
    def ttl_delta(self) -> timedelta | None:
        return check_ttl(f"feature group {self.label}", self.ttl)

    def arrow_schema(self) -> pa.Schema:
        obj = f"feature group {self.label}"
        return pa.schema([(c, arrow_type(obj, c, t)) for c, t in self.schema.items()])

    def create_arguments(self) -> dict[str, Any]:
        """The arguments of ``FeatureStore.create_feature_group`` that create it."""
        return {
            "name": self.name,
            "version": self.version,
            "primary_key": self.keys,
            "event_time": self.event_time,
            "schema": self.arrow_schema(),
            "online": self.online,
            "ttl": self.ttl,
            "description": self.description,
            "tags": dict(self.tags),
            "owner": self.owner,
            "expectations": list(self.expectations),
            "on_invalid": self.on_invalid,
        }

    def select(self, features: Sequence[str]) -> Query:
        """A query of these features, as ``FeatureGroup.select`` of the API."""
        return select(self.name, self.version, features)

    def select_all(self) -> Query:
        return select(self.name, self.version)


@dataclass(frozen=True)
class FeatureView:
    """A feature view as the repo declares it."""

    name: str
    query: Query
    version: int = 1
    labels: Sequence[str] = ()
    description: str = ""
    on_demand: Sequence[OnDemandFeature] = ()
    transforms: Mapping[str, Transform] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class Deployment:
    """Which version(s) of a model serve under ``name``: ``version=`` (default: the latest)
    or an A/B ``split={3: 0.9, 4: 0.1}``."""

    name: str
    model: str
    version: int | None = None
    split: Mapping[int, float] | None = None

    @property
    def label(self) -> str:
        return self.name


Declaration = FeatureGroup | FeatureView | Deployment
