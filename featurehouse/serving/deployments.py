"""Deployments: which model version(s) serve under a name, with which traffic split,
through which feature view. Every change is a new revision in the catalog, with who
made it and when, so that any change can be rolled back.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.suggest import close_names, did_you_mean, get_entry
from featurehouse.errors import AlreadyExistsError, ConflictError, DataError, NotFoundError
from featurehouse.models.registry import DEPLOYMENT
from featurehouse.types import check_object_name

if TYPE_CHECKING:
    from featurehouse.catalog.base import Entry
    from featurehouse.models.registry import ModelRegistry
    from featurehouse.services import Services


@dataclass(frozen=True)
class Served:
    model: str
    version: int
    weight: float


@dataclass(frozen=True)
class Deployment:
    """One revision of a deployment."""

    name: str
    revision: int
    models: tuple[Served, ...]
    feature_view: tuple[str, int]
    changed_by: str
    changed_at: datetime
    note: str = ""

    def choose(self, key: Sequence[Any]) -> Served:
        """The model version that serves this entity: sticky, by a hash of its key."""
        if len(self.models) == 1:
            return self.models[0]
        digest = hashlib.blake2b(repr(tuple(key)).encode(), digest_size=8).digest()
        point = int.from_bytes(digest, "big") / 2**64
        total = 0.0
        for served in self.models:
            total += served.weight
            if point < total:
                return served
        return self.models[-1]


class Deployments:
    """``fs.deploy``, ``fs.rollback`` and friends: deployment revisions in the catalog."""

    def __init__(self, services: Services, models: ModelRegistry) -> None:
        self._services = services
        self._models = models

    def deploy(
        self,
        name: str,
        *,
        model: str | None = None,
        version: int | None = None,
        split: Mapping[int, float] | None = None,
        note: str = "",
    ) -> Deployment:
        """Serve ``model`` ``version`` (default: its latest) under ``name``, or split traffic
        between versions of one model (``split={3: 0.9, 4: 0.1}``, sticky per entity)."""
        check_object_name("deployment", name)
        if model is None:
            model = self._current_model(name)
        if split is None:
            split = {version if version is not None else self._models.get(model).version: 1.0}
        elif version is not None:
            raise DataError(
                f"deployment {name!r}: give version= or split=, not both",
                obj=name,
                expected="version or split",
            )
        total = sum(split.values())
        if not split or any(w <= 0 for w in split.values()) or abs(total - 1.0) > 1e-9:
            raise DataError(
                f"deployment {name!r}: split weights must be positive and add up to 1, "
                f"received {dict(split)}",
                obj=name,
                expected="weights adding up to 1",
                received=dict(split),
            )
        views = set()
        for v in split:
            mv = self._models.get(model, v)
            view = mv.lineage.get("feature_view")
            if view is None:
                raise DataError(
                    f"deployment {name!r}: model {model}:{v} was registered without a feature "
                    "view, so nothing says which features it takes",
                    obj=name,
                    expected="a model registered with feature_view=",
                )
            views.add((view["name"], int(view["version"])))
        if len(views) != 1:
            raise DataError(
                f"deployment {name!r}: the versions of a split must share one feature view, "
                f"received {sorted(views)}",
                obj=name,
                received=sorted(views),
            )
        body = {
            "models": [
                {"model": model, "version": int(v), "weight": float(w)}
                for v, w in sorted(split.items())
            ],
            "feature_view": list(views.pop()),
            "changed_by": _user(),
            "note": note,
        }
        return self._append(name, body)

    def rollback(self, name: str) -> Deployment:
        """Restore the revision before the current one (as a new revision)."""
        history = self.history(name)
        if len(history) < 2:
            raise ConflictError(
                f"deployment {name!r} has no earlier revision to roll back to", obj=name
            )
        current, previous = history[-1], history[-2]
        body = {
            "models": [
                {"model": s.model, "version": s.version, "weight": s.weight}
                for s in previous.models
            ],
            "feature_view": list(previous.feature_view),
            "changed_by": _user(),
            "note": f"rollback of revision {current.revision} to revision {previous.revision}",
        }
        return self._append(name, body)

    def get(self, name: str) -> Deployment:
        """The current revision."""
        return _deployment(get_entry(self._services.catalog, DEPLOYMENT, name))

    def history(self, name: str) -> list[Deployment]:
        revisions = [_deployment(e) for e in self._services.catalog.list(DEPLOYMENT, name)]
        if not revisions:
            close = close_names(self._services.catalog, DEPLOYMENT, name)
            raise NotFoundError(
                f"deployment {name!r} does not exist{did_you_mean(close)}",
                obj=name,
                expected=close or None,
                received=name,
            )
        return revisions

    def list(self) -> list[Deployment]:
        latest: dict[str, Deployment] = {}
        for entry in self._services.catalog.list(DEPLOYMENT):
            latest[entry.name] = _deployment(entry)  # ordered by revision
        return list(latest.values())

    def _current_model(self, name: str) -> str:
        try:
            current = self.get(name)
        except NotFoundError as exc:
            raise DataError(
                f"deployment {name!r} does not exist yet: name the model (model=...)",
                obj=name,
                expected="model=",
            ) from exc
        return current.models[0].model

    def _append(self, name: str, body: dict[str, Any]) -> Deployment:
        # A failing create means another change landed first: a new revision number then.
        for _ in range(20):
            existing = self._services.catalog.list(DEPLOYMENT, name)
            revision = max((e.version for e in existing), default=0) + 1
            try:
                return _deployment(self._services.catalog.create(DEPLOYMENT, name, revision, body))
            except AlreadyExistsError:
                continue
        raise ConflictError(f"deployment {name!r}: too many concurrent changes", obj=name)


def _deployment(entry: Entry) -> Deployment:
    body = entry.body
    return Deployment(
        name=entry.name,
        revision=entry.version,
        models=tuple(
            Served(m["model"], int(m["version"]), float(m["weight"])) for m in body["models"]
        ),
        feature_view=(body["feature_view"][0], int(body["feature_view"][1])),
        changed_by=body["changed_by"],
        changed_at=entry.created_at,
        note=body.get("note", ""),
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "unknown"
