"""Which catalog objects the repo manages: those an ``apply`` of it created or adopted.

Only these can show up as removed: objects made from code, or by the platform itself
(prediction logs, inference tables), are never the repo's to delete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from featurehouse.catalog.base import Catalog, JsonBody, update_with_retry
from featurehouse.errors import AlreadyExistsError, NotFoundError

ObjectId = tuple[str, str, int]  # (catalog kind, name, version; 0 for a deployment)
STATE, STATE_NAME = "repo_state", "managed"


def managed_objects(catalog: Catalog) -> set[ObjectId]:
    try:
        body = catalog.get(STATE, STATE_NAME, 1).body
    except NotFoundError:
        return set()
    return {(k, n, int(v)) for k, n, v in body["objects"]}


def set_managed(catalog: Catalog, objects: Iterable[ObjectId]) -> None:
    listed = sorted(set(objects))

    def change(body: JsonBody) -> JsonBody | None:
        new = [list(o) for o in listed]
        return None if body.get("objects") == new else {"objects": new}

    with contextlib.suppress(AlreadyExistsError):  # the first apply of this project
        catalog.create(STATE, STATE_NAME, 1, {"objects": []})
    update_with_retry(catalog, STATE, STATE_NAME, 1, change)
