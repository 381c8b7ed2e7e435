"""Which catalog objects the repo manages: those an ``apply`` of it created or adopted.

Only these can show up as removed: objects made from code, or by the platform itself
(prediction logs, inference tables), are never the repo's to delete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from featurehouse.catalog.base import Catalog, JsonBody, update_with_retry
from featurehouse.catalog.codec import Record, decode
from featurehouse.errors import AlreadyExistsError, NotFoundError

ObjectId = tuple[str, str, int]  # (catalog kind, name, version; 0 for a deployment)
STATE, STATE_NAME = "repo_state", "managed"


@dataclass(frozen=True)
class ManagedObjects(Record):
    objects: tuple[ObjectId, ...]


def managed_objects(catalog: Catalog) -> set[ObjectId]:
    try:
        entry = catalog.get(STATE, STATE_NAME, 1)
    except NotFoundError:
        return set()
    return set(ManagedObjects.from_entry(entry).objects)


def set_managed(catalog: Catalog, objects: Iterable[ObjectId]) -> None:
    managed = ManagedObjects(tuple(sorted(set(objects))))

    def change(body: JsonBody) -> JsonBody | None:
        return None if decode(ManagedObjects, body) == managed else managed.to_json()

    with contextlib.suppress(AlreadyExistsError):  # the first apply of this project
        catalog.create(STATE, STATE_NAME, 1, ManagedObjects(()).to_json())
    update_with_retry(catalog, STATE, STATE_NAME, 1, change)
