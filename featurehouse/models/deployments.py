"""Deployments: which model version(s) serve under a name, with which traffic split,
through which feature view. Every change is a new revision in the catalog, with who
made it and when, so that any change can be rolled back.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.codec import Record, entry_attribute
from featurehouse.catalog.numbering import create_next
from featurehouse.catalog.suggest import close_names, did_you_mean, get_entry
from featurehouse.errors import ConflictError, DataError, NotFoundError
from featurehouse.models.registry import DEPLOYMENT, MODEL
from featurehouse.types import check_object_name

MISSING_ENTITIES = ("predict", "refuse")  # what a deployment does with an unknown entity

if TYPE_CHECKING:
    from featurehouse.catalog.base import Entry
    from featurehouse.core.services import Services
    from featurehouse.models.registry import ModelRegistry


@dataclass(frozen=True)
class Served:
    model: str
    version: int
    weight: float


@dataclass(frozen=True)
class Deployment(Record):
    """One revision of a deployment."""

    name: str = field(metadata=entry_attribute("name"))
    revision: int = field(metadata=entry_attribute("version"))
    models: tuple[Served, ...]
    feature_view: tuple[str, int]
    changed_by: str
    changed_at: datetime = field(metadata=entry_attribute("created_at"))
    note: str = ""
    missing_entities: str = "predict"  # or "refuse": entities not in the online store

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
        missing_entities: str | None = None,
    ) -> Deployment:
        """Serve ``model`` ``version`` (default: its latest) under ``name``, or split traffic
        between versions of one model (``split={3: 0.9, 4: 0.1}``, sticky per entity).
        ``missing_entities`` says what a prediction for an entity that is not in the online
        store does: ``"predict"`` (from null features, flagged ``found: false``) or
        ``"refuse"`` (the request fails naming the entity); default: as the current revision,
        else ``"predict"``."""
        check_object_name("deployment", name)
        missing_entities = self._missing_entities(name, missing_entities)
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
        change = Deployment(
            name=name,
            revision=0,  # numbered by the catalog
            models=tuple(Served(model, int(v), float(w)) for v, w in sorted(split.items())),
            feature_view=views.pop(),
            changed_by=_user(),
            changed_at=datetime.now(UTC),
            note=note,
            missing_entities=missing_entities,
        )
        return self._append(change)

    def rollback(self, name: str) -> Deployment:
        """Restore the revision before the current one (as a new revision)."""
        history = self.history(name)
        if len(history) < 2:
            raise ConflictError(
                f"deployment {name!r} has no earlier revision to roll back to", obj=name
            )
        current, previous = history[-1], history[-2]
        change = replace(
            previous,
            changed_by=_user(),
            changed_at=datetime.now(UTC),
            note=f"rollback of revision {current.revision} to revision {previous.revision}",
        )
        return self._append(change)

    def get(self, name: str) -> Deployment:
        """The current revision."""
        return Deployment.from_entry(get_entry(self._services.catalog, DEPLOYMENT, name))

    def history(self, name: str) -> list[Deployment]:
        revisions = [
            Deployment.from_entry(e) for e in self._services.catalog.list(DEPLOYMENT, name)
        ]
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
            latest[entry.name] = Deployment.from_entry(entry)  # ordered by revision
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

    def _missing_entities(self, name: str, choice: str | None) -> str:
        if choice is None:
            try:
                return self.get(name).missing_entities
            except NotFoundError:
                return MISSING_ENTITIES[0]
        if choice not in MISSING_ENTITIES:
            raise DataError(
                f"deployment {name!r}: missing_entities must be one of {list(MISSING_ENTITIES)}, "
                f"received {choice!r}",
                obj=name,
                column="missing_entities",
                expected=list(MISSING_ENTITIES),
                received=choice,
            )
        return choice

    def _append(self, change: Deployment) -> Deployment:
        """Add a revision in one transaction with a check that every model version it
        serves still exists, so a concurrent ``models.delete`` of one cannot pass unseen."""
        catalog = self._services.catalog

        def served() -> list[Entry]:
            # A model version deleted since the caller checked it raises NotFoundError here.
            return [catalog.get(MODEL, s.model, s.version) for s in change.models]

        body = change.to_json()
        entry = create_next(catalog, DEPLOYMENT, change.name, lambda _: body, requires=served)
        return Deployment.from_entry(entry)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "unknown"
