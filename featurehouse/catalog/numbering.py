"""Numbering new versions: the one place that picks "the latest version + 1" and creates it.

Concurrent creators may pick the same number; the catalog lets one of them create it and
the others try the next number (``base.retry``: one attempts limit, one ConflictError).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from featurehouse.catalog.base import Catalog, Entry, JsonBody, retry
from featurehouse.errors import AlreadyExistsError, ConflictError


class VersionTaken(Exception):
    """Raised by a ``body`` callback: something outside the catalog already holds this
    number (a training dataset's tables, written by a concurrent or killed creator)."""


def create_next(
    catalog: Catalog,
    kind: str,
    name: str,
    body: Callable[[int], JsonBody],
    *,
    requires: Callable[[], Sequence[Entry]] | None = None,
) -> Entry:
    """Create ``name`` at the next free version, with the body ``body(version)`` gives.

    ``body`` may do work that claims the number before it is registered, and raise
    VersionTaken to move to the next one. ``requires`` gives the entries that must stay
    unchanged until the create commits (``Catalog.create(requires=)``), read again on each
    attempt; when one changed meanwhile, the attempt starts over.
    """
    taken = 0  # numbers up to this one are held outside the catalog

    def attempt() -> Entry | None:
        nonlocal taken
        required = requires() if requires is not None else ()
        version = max(next_version(catalog, kind, name), taken + 1)
        try:
            content = body(version)
        except VersionTaken:
            taken = version
            return None
        try:
            return catalog.create(kind, name, version, content, requires=required)
        except (AlreadyExistsError, ConflictError):
            return None  # another creator took the number, or changed a required entry

    return retry(kind, name, attempt)


def next_version(catalog: Catalog, kind: str, name: str) -> int:
    """One above the latest version of ``name`` (1 for the first); a concurrent creator may
    take it first: create with ``create_next``."""
    return max((e.version for e in catalog.list(kind, name)), default=0) + 1
