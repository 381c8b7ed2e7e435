"""Expectation suites: a feature group's expectations and policy, versioned in the catalog.

Every change is a new catalog entry of kind ``expectation_suite`` named after the group's
table (``transactions_v1``), version 1, 2, ...; a validation report records the suite
version it ran, so an old report can be read against the rules of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from featurehouse.errors import AlreadyExistsError, ConflictError, DataError, NotFoundError
from featurehouse.validation.expectation import Expectation, check_suite, expectation_from_json

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog
    from featurehouse.catalog.records import FeatureGroupSpec

EXPECTATION_SUITE = "expectation_suite"
POLICIES = ("raise", "quarantine")


@dataclass(frozen=True)
class ExpectationSuite:
    """One version of a group's expectations and its ``on_invalid`` policy."""

    version: int
    expectations: list[Expectation]
    on_invalid: str
    created_at: datetime


def check_policy(obj: str, on_invalid: object) -> str:
    if on_invalid not in POLICIES:
        raise DataError(
            f"{obj}: on_invalid must be one of {list(POLICIES)}, received {on_invalid!r}",
            obj=obj,
            expected=list(POLICIES),
            received=on_invalid,
        )
    return str(on_invalid)


def current_suite(catalog: Catalog, spec: FeatureGroupSpec) -> ExpectationSuite | None:
    """The latest suite of the group, or None if it never had one."""
    try:
        entry = catalog.get(EXPECTATION_SUITE, spec.table_id)
    except NotFoundError:
        return None
    return ExpectationSuite(
        version=entry.version,
        expectations=[expectation_from_json(e) for e in entry.body["expectations"]],
        on_invalid=entry.body["on_invalid"],
        created_at=entry.created_at,
    )


def save_suite(
    catalog: Catalog,
    spec: FeatureGroupSpec,
    expectations: Sequence[Expectation],
    on_invalid: str | None = None,
) -> ExpectationSuite:
    """Store a new suite version; ``on_invalid=None`` keeps the current policy."""
    obj = f"feature group {spec.label}"
    expectations = list(expectations)
    check_suite(obj, expectations, spec.schema)
    if on_invalid is not None:
        check_policy(obj, on_invalid)
    for _ in range(50):
        current = current_suite(catalog, spec)
        policy = on_invalid or (current.on_invalid if current else "raise")
        version = current.version + 1 if current else 1
        body = {"expectations": [e.to_json() for e in expectations], "on_invalid": policy}
        try:
            entry = catalog.create(EXPECTATION_SUITE, spec.table_id, version, body)
        except AlreadyExistsError:
            continue  # a concurrent change took this version: build on it
        return ExpectationSuite(version, expectations, policy, entry.created_at)
    raise ConflictError(f"{obj}: gave up after 50 concurrent suite changes", obj=spec.label)
