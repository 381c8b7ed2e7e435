"""A group's expectations as the repo declares them, compared with its current suite.

A group without a suite checks nothing and raises on failure, so it compares equal to an
empty declaration with ``on_invalid="raise"``. Expectations are matched by name and
compared by their JSON form (what the suite stores), so reordering them is no change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from featurehouse.validation.expectation import Expectation, check_suite
from featurehouse.validation.suite import check_policy, current_suite

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog
    from featurehouse.catalog.records import FeatureGroupSpec


@dataclass(frozen=True)
class DeclaredSuite:
    """The expectations and ``on_invalid`` policy a repo declares for a group."""

    expectations: tuple[Expectation, ...]
    on_invalid: str


def declared_suite(
    spec: FeatureGroupSpec, expectations: Sequence[Expectation], on_invalid: str
) -> DeclaredSuite:
    """The declaration, checked against the group's declared schema and policies."""
    obj = f"feature group {spec.label}"
    check_suite(obj, list(expectations), spec.schema)
    return DeclaredSuite(tuple(expectations), check_policy(obj, on_invalid))


def summary(suite: DeclaredSuite) -> list[str]:
    """Plan details of a group created with ``suite``."""
    lines = [f"expectation {e.name}: {e!r}" for e in suite.expectations]
    if suite.on_invalid != "raise":
        lines.append(f"on_invalid: {suite.on_invalid!r}")
    return lines


def suite_changes(catalog: Catalog, spec: FeatureGroupSpec, target: DeclaredSuite) -> list[str]:
    """What differs between the group's current suite and ``target``, one line each
    (added / removed / changed expectations by name, the policy); empty when equal."""
    current = current_suite(catalog, spec)
    was = {e.name: e for e in current.expectations} if current else {}
    now = {e.name: e for e in target.expectations}
    lines = [f"expectation added {name}: {now[name]!r}" for name in now if name not in was]
    lines += [f"expectation removed {name}: {was[name]!r}" for name in was if name not in now]
    lines += [
        f"expectation changed {name}: {was[name]!r} -> {now[name]!r}"
        for name in now
        if name in was and was[name].to_json() != now[name].to_json()
    ]
    policy = current.on_invalid if current else "raise"
    if policy != target.on_invalid:
        lines.append(f"on_invalid: {policy!r} -> {target.on_invalid!r}")
    return lines
