"""Expectation suites: a feature group's expectations and policy, versioned in the catalog.

Every change is a new catalog entry of kind ``expectation_suite`` named after the group's
table (``transactions_v1``), version 1, 2, ...; a validation report records the suite
version it ran, so an old report can be read against the rules of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.codec import Record, converted, entry_attribute
from featurehouse.catalog.numbering import create_next
from featurehouse.errors import DataError, NotFoundError
from featurehouse.validation.expectation import Expectation, check_suite, expectation_from_json

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog, JsonBody
    from featurehouse.catalog.records import FeatureGroupSpec

EXPECTATION_SUITE = "expectation_suite"
POLICIES = ("raise", "quarantine")


def _to_json(expectations: list[Expectation]) -> list[dict[str, Any]]:
    return [e.to_json() for e in expectations]


def _from_json(stored: list[dict[str, Any]]) -> list[Expectation]:
    return [expectation_from_json(e) for e in stored]


@dataclass(frozen=True)
class ExpectationSuite(Record):
    """One version of a group's expectations and its ``on_invalid`` policy."""

    version: int = field(metadata=entry_attribute("version"))
    expectations: list[Expectation] = field(metadata=converted(_to_json, _from_json))
    on_invalid: str
    created_at: datetime = field(metadata=entry_attribute("created_at"))


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
    return ExpectationSuite.from_entry(entry)


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
    made: ExpectationSuite | None = None

    def suite(version: int) -> JsonBody:
        nonlocal made
        current = current_suite(catalog, spec)  # a concurrent change may have set the policy
        policy = on_invalid or (current.on_invalid if current else "raise")
        made = ExpectationSuite(version, expectations, policy, datetime.now(UTC))
        return made.to_json()

    entry = create_next(catalog, EXPECTATION_SUITE, spec.table_id, suite)
    assert made is not None
    return replace(made, created_at=entry.created_at)  # the expectations as given
