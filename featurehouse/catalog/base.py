"""The catalog protocol: a narrow store of versioned JSON documents, by kind.

Every object is an entry ``(kind, name, version)`` with a JSON body and a
``revision`` that grows with each update; updates are compare-and-set on the
revision, so two processes can never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from featurehouse.common.backends import open_backend
from featurehouse.errors import ConflictError

JsonBody = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    version: int
    revision: int
    body: JsonBody
    created_at: datetime
    updated_at: datetime


def describe(kind: str) -> str:
    """How messages name a kind: ``feature_group`` -> ``feature group``."""
    return kind.replace("_", " ")


class Catalog(Protocol):
    def create(
        self, kind: str, name: str, version: int, body: JsonBody, *, requires: Sequence[Entry] = ()
    ) -> Entry:
        """Add an entry; AlreadyExistsError if ``(kind, name, version)`` exists.

        With ``requires``, in the same transaction: ConflictError unless every entry in it
        is still at its revision (and exists). Their revisions grow, so a concurrent
        change that is conditional on one of them (``update``, ``delete(revision=)``)
        fails instead of passing unnoticed.
        """
        ...

    def get(self, kind: str, name: str, version: int | None = None) -> Entry:
        """One entry, the highest version when ``version`` is None; NotFoundError if absent."""
        ...

    def list(self, kind: str, name: str | None = None) -> list[Entry]:
        """Entries of a kind (and name), ordered by name then version."""
        ...

    def update(self, entry: Entry, body: JsonBody) -> Entry:
        """Replace the body if the stored revision is still ``entry.revision``; else ConflictError."""
        ...

    def delete(self, kind: str, name: str, version: int, *, revision: int | None = None) -> None:
        """Remove an entry; NotFoundError if absent, ConflictError if ``revision`` is given
        and the stored revision differs (it was changed or required meanwhile)."""
        ...

    def close(self) -> None: ...


ATTEMPTS = 50  # how often a change that concurrent writers got in the way of is tried
T = TypeVar("T")


def retry(kind: str, name: str, attempt: Callable[[], T | None]) -> T:
    """Run ``attempt`` until it returns a value; None means a concurrent writer got in the
    way. After ``ATTEMPTS`` tries, a ConflictError naming the object and the attempts."""
    for _ in range(ATTEMPTS):
        result = attempt()
        if result is not None:
            return result
    raise ConflictError(
        f"{describe(kind)} {name!r}: gave up after {ATTEMPTS} attempts, each undone by a "
        "concurrent change; try again",
        obj=name,
        expected=f"at most {ATTEMPTS} attempts",
        received=ATTEMPTS,
    )


def update_with_retry(
    catalog: Catalog,
    kind: str,
    name: str,
    version: int,
    change: Callable[[JsonBody], JsonBody | None],
) -> Entry:
    """Apply ``change`` to the current body until no concurrent update interferes.

    ``change`` returns the new body, or None when nothing needs to change.
    """

    def attempt() -> Entry | None:
        entry = catalog.get(kind, name, version)
        body = change(dict(entry.body))
        if body is None:
            return entry
        try:
            return catalog.update(entry, body)
        except ConflictError:
            return None

    return retry(kind, f"{name}:{version}", attempt)


# URI scheme -> "module:factory". Drivers load only when their scheme is used.
BACKENDS = {
    "sqlite": "featurehouse.catalog.sql:SqlCatalog",
    "postgresql": "featurehouse.catalog.sql:SqlCatalog",
    "postgres": "featurehouse.catalog.sql:SqlCatalog",
}


def open_catalog(uri: str) -> Catalog:
    """Open the catalog at ``uri`` (``sqlite:///path`` or ``postgresql://...``)."""
    backend: Catalog = open_backend("catalog", uri, BACKENDS)
    return backend
