"""How a stored feature group or view differs from a definition given again
(``get_or_create_feature_group`` / ``get_or_create_feature_view``): one line per difference."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.errors import SchemaError
from featurehouse.types import check_schema

if TYPE_CHECKING:
    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.validation.suite import ExpectationSuite

VIEW_DEFINITION = ("query", "labels", "description", "on_demand", "transforms")


def as_ttl(label: str, ttl: timedelta | float | None) -> timedelta | None:
    """A ttl as ``create_feature_group`` stores it (a timedelta or seconds)."""
    if ttl is None or isinstance(ttl, timedelta):
        return ttl
    try:
        return timedelta(seconds=float(ttl))
    except (TypeError, ValueError, OverflowError) as exc:
        raise SchemaError(
            f"feature group {label}: ttl must be a timedelta or seconds, received {ttl!r}",
            obj=label,
            column="ttl",
            expected="timedelta or seconds",
            received=ttl,
        ) from exc


def group_differences(
    spec: FeatureGroupSpec,
    suite: ExpectationSuite | None,
    declared: Mapping[str, Any],
) -> list[str]:
    """What differs between the stored group ``spec`` (with its expectation ``suite``) and the
    ``declared`` arguments of ``create_feature_group``. Columns the stored schema gained from
    inserts since (schema evolution) are no difference; declared columns must match."""
    primary_key = declared["primary_key"]
    primary_key = [primary_key] if isinstance(primary_key, str) else list(primary_key)
    wanted = {
        "primary_key": (list(spec.primary_key), primary_key),
        "event_time": (spec.event_time, declared["event_time"]),
        "online": (spec.online, declared["online"]),
        "description": (spec.description, declared["description"]),
        "tags": (spec.tags, {str(k): str(v) for k, v in (declared["tags"] or {}).items()}),
        "ttl": (spec.ttl, as_ttl(spec.label, declared["ttl"])),
        "owner": (spec.owner, declared["owner"]),
        "expectations": (
            [] if suite is None else [e.to_json() for e in suite.expectations],
            [e.to_json() for e in declared["expectations"]],
        ),
        "on_invalid": ("raise" if suite is None else suite.on_invalid, declared["on_invalid"]),
    }
    found = [
        f"{what}: stored {was!r}, given {now!r}"
        for what, (was, now) in wanted.items()
        if was != now
    ]
    if declared["schema"] is not None:
        found += _schema_differences(spec, declared["schema"], primary_key, declared["event_time"])
    return found


def _schema_differences(
    spec: FeatureGroupSpec, schema: pa.Schema, primary_key: Sequence[str], event_time: str
) -> list[str]:
    given = check_schema(f"feature group {spec.label}", schema, primary_key, event_time)
    if spec.schema is None:
        return [f"schema: stored none yet, given {', '.join(given.names)}"]
    found = []
    for field in given:
        if field.name not in spec.schema.names:
            found.append(f"column {field.name!r}: stored none, given {field.type}")
        elif spec.schema.field(field.name).type != field.type:
            stored = spec.schema.field(field.name).type
            found.append(f"column {field.name!r}: stored {stored}, given {field.type}")
    return found


def view_differences(stored: Mapping[str, Any], given: Mapping[str, Any]) -> list[str]:
    """What differs between two view definitions as the catalog keeps them."""
    return [
        f"{key}: stored {_compact(stored[key])}, given {_compact(given[key])}"
        for key in VIEW_DEFINITION
        if stored[key] != given[key]
    ]


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def refuse(kind: str, label: str, differences: list[str]) -> SchemaError:
    """The error for an object that exists with another definition."""
    return SchemaError(
        f"{kind} {label} exists with another definition: {'; '.join(differences)}; get it "
        "with the stored definition, or create a new version",
        obj=label,
        expected="the stored definition",
        received=differences,
    )
