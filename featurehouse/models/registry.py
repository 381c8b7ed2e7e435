"""The model registry: every registered model version with its artifact, metrics,
parameters, aliases and lineage (training dataset -> feature view -> feature groups and
the Delta versions read).

Artifacts live under ``<project>/models/<name>/<id>/`` with a SHA-256 checksum kept in
the catalog and verified on every load. Only files inside that model store are read: a
catalog entry naming an absolute path, ``..`` or a symlink out of it is refused (its
checksum, in the same entry, would protect nothing). Most flavors load with pickle, so the
model store and the catalog are trusted like code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.base import Catalog, Entry, JsonBody, retry, update_with_retry
from featurehouse.catalog.codec import NOT_STORED, Record, entry_attribute, stored_as
from featurehouse.catalog.numbering import create_next
from featurehouse.catalog.suggest import get_entry
from featurehouse.errors import (
    AlreadyExistsError,
    ConflictError,
    DataError,
    NotFoundError,
    SchemaError,
)
from featurehouse.models.flavors import by_name, detect
from featurehouse.types import check_object_name

if TYPE_CHECKING:
    from featurehouse.core.feature_view import FeatureView
    from featurehouse.core.services import Services
    from featurehouse.core.training_dataset import TrainingDataset

MODEL = "model"
ALIASES = "model_aliases"  # one entry per model name: {alias: version}, changed atomically
DEPLOYMENT = "deployment"
EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class ModelVersion(Record):
    """One registered version of a model."""

    name: str = field(metadata=entry_attribute("name"))
    version: int = field(metadata=entry_attribute("version"))
    flavor: str
    metrics: dict[str, float]
    params: dict[str, Any]
    description: str
    tags: dict[str, str]
    lineage: dict[str, Any]
    input_schema: list[dict[str, str]]
    input_example: list[dict[str, Any]]
    created_at: datetime = field(metadata=entry_attribute("created_at"))
    aliases: tuple[str, ...] = field(default=(), metadata=NOT_STORED)  # kept in ALIASES
    # The artifact's path in the model store (as stored: checked before it is read).
    stored_artifact: Path = field(default=Path(), repr=False, metadata=stored_as("artifact"))
    checksum: str = field(default="", repr=False)
    model_store: Path = field(default=Path(), repr=False, metadata=NOT_STORED)

    @property
    def artifact(self) -> Path:
        return self.model_store / self.stored_artifact

    def load(self) -> Any:
        """The native model object, after checking the artifact is the one registered."""
        self.check_in_store()
        if not self.artifact.exists():
            raise NotFoundError(
                f"model {self.name}:{self.version}: artifact {self.artifact} is missing",
                obj=f"{self.name}:{self.version}",
            )
        found = _checksum(self.artifact.parent)
        if found != self.checksum:
            raise DataError(
                f"model {self.name}:{self.version}: the artifact's checksum is {found}, the "
                f"registry recorded {self.checksum}; the files were changed or damaged",
                obj=f"{self.name}:{self.version}",
                expected=self.checksum,
                received=found,
            )
        return by_name(self.flavor).load(self.artifact)

    def check_in_store(self) -> None:
        """Refuse an artifact outside ``<model store>/<name>/<directory>/``: an absolute
        path, ``..``, or a symlink anywhere on the way or in its directory."""
        if not _in_store(self.model_store, self.name, self.artifact):
            raise DataError(
                f"model {self.name}:{self.version}: its artifact {self.artifact} is not a file "
                f"of the model store {self.model_store}/{self.name}/ (an absolute path, '..' or a "
                "symlink leading out); refusing to load it: was the catalog entry changed?",
                obj=f"{self.name}:{self.version}",
                expected=f"{self.model_store}/{self.name}/<directory>/<file>",
                received=str(self.artifact),
            )

    @property
    def inputs(self) -> list[str]:
        """The features of its view the model takes, in the view's order (before transforms)."""
        return [field["name"] for field in self.input_schema]


def _in_store(store: Path, name: str, artifact: Path) -> bool:
    if not artifact.is_relative_to(store):  # an absolute path stored in the entry
        return False
    relative = artifact.relative_to(store)
    return (
        len(relative.parts) == 3
        and relative.parts[0] == name
        and ".." not in relative.parts
        and artifact.resolve() == store.resolve() / relative  # no symlink on the way
        and not any(p.is_symlink() for p in artifact.parent.rglob("*"))
    )


def _checksum(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class ModelRegistry:
    """``fs.models``: register, find, alias and delete model versions."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._root = services.settings.home / "models"

    def register(
        self,
        name: str,
        model: Any,
        *,
        feature_view: FeatureView | None = None,
        training_dataset: TrainingDataset | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        inputs: Sequence[str] | None = None,
    ) -> ModelVersion:
        """Store ``model`` as the next version of ``name``; its flavor is detected.
        ``inputs`` are the features of the view the model takes (default: all of them);
        the others, such as a raw time an on-demand feature is computed from, are served
        and logged but not given to the model.

        >>> mv = fs.models.register("fraud", clf, feature_view=fv, training_dataset=td,
        ...                         metrics={"auc": 0.91})
        """
        check_object_name("model", name)
        flavor = detect(model)
        if (training_dataset is not None or inputs is not None) and feature_view is None:
            raise DataError(
                f"model {name!r}: a training dataset or inputs are registered with their "
                "feature view; pass feature_view= too",
                obj=name,
                expected="feature_view",
            )
        described = _lineage(name, feature_view, training_dataset, inputs)
        directory = self._root / name / uuid.uuid4().hex
        directory.mkdir(parents=True)
        try:
            artifact = flavor.save(model, directory)
        except Exception as exc:
            shutil.rmtree(directory, ignore_errors=True)
            raise DataError(
                f"model {name!r}: the {flavor.name} flavor could not save it: {exc}",
                obj=name,
            ) from exc
        registered = ModelVersion(
            name=name,
            version=0,  # numbered by the catalog
            flavor=flavor.name,
            metrics={k: float(v) for k, v in (metrics or {}).items()},
            params=json.loads(json.dumps(dict(params or {}), default=str)),
            description=description,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            created_at=datetime.now(UTC),
            stored_artifact=(directory / artifact).relative_to(self._root),
            checksum=_checksum(directory),
            **described,
        )
        body = registered.to_json()
        try:
            entry = create_next(self._services.catalog, MODEL, name, lambda _: body)
        except ConflictError:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return self._version(entry)

    def get(
        self, name: str, version: int | None = None, *, alias: str | None = None
    ) -> ModelVersion:
        """A version by number, by alias, or the latest."""
        if alias is not None:
            aliases = self._aliases(name)
            if alias not in aliases:
                raise NotFoundError(
                    f"model {name!r} has no alias {alias!r}; it has {sorted(aliases)}",
                    obj=name,
                    expected=sorted(aliases),
                    received=alias,
                )
            version = aliases[alias]
        return self._version(get_entry(self._services.catalog, MODEL, name, version))

    def list(self, name: str | None = None, *, tag: str | None = None) -> list[ModelVersion]:
        """Model versions (of ``name``; with tag ``key`` or ``key=value``)."""
        versions = [self._version(e) for e in self._services.catalog.list(MODEL, name)]
        if tag is not None:
            key, _, value = tag.partition("=")
            versions = [
                v for v in versions if key in v.tags and (not value or v.tags[key] == value)
            ]
        return versions

    def best(self, name: str, metric: str, *, higher_is_better: bool = True) -> ModelVersion:
        """The version of ``name`` with the best value of ``metric``."""
        candidates = [v for v in self.list(name) if metric in v.metrics]
        if not candidates:
            raise NotFoundError(
                f"no version of model {name!r} records metric {metric!r}", obj=name, column=metric
            )
        sign = 1 if higher_is_better else -1
        return max(candidates, key=lambda v: (sign * v.metrics[metric], v.version))

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` (``production``, ``staging``, any name) at a version."""
        check_object_name("alias", alias)
        self.get(name, version)  # it must exist
        self._change_aliases(name, lambda aliases: {**aliases, alias: version})

    def remove_alias(self, name: str, alias: str) -> None:
        self._change_aliases(name, lambda aliases: {k: v for k, v in aliases.items() if k != alias})

    def delete(self, name: str, version: int) -> None:
        """Delete a version and its artifact; refused while a deployment serves it."""
        mv = self.get(name, version)
        catalog = self._services.catalog

        def attempt() -> bool | None:
            # Read the entry before the deployments: a deploy of this version that lands
            # after this read grows its revision, so the conditional delete below fails.
            entry = catalog.get(MODEL, name, version)
            users = _deployments_serving(catalog, name, version)
            if users:
                raise ConflictError(
                    f"model {name}:{version} is served by deployment(s) {users}; change them first",
                    obj=f"{name}:{version}",
                )
            try:
                catalog.delete(MODEL, name, version, revision=entry.revision)
            except ConflictError:
                return None  # a deployment may now serve it: look again
            return True

        retry(MODEL, f"{name}:{version}", attempt)
        self._change_aliases(
            name, lambda aliases: {k: v for k, v in aliases.items() if v != version}
        )
        with contextlib.suppress(DataError):  # files outside the store are not the registry's
            mv.check_in_store()
            shutil.rmtree(mv.artifact.parent, ignore_errors=True)

    def _aliases(self, name: str) -> dict[str, int]:
        try:
            return dict(self._services.catalog.get(ALIASES, name, 0).body)
        except NotFoundError:
            return {}

    def _change_aliases(self, name: str, change: Callable[[JsonBody], JsonBody]) -> None:
        with contextlib.suppress(AlreadyExistsError):  # the first alias of this model
            self._services.catalog.create(ALIASES, name, 0, {})
        update_with_retry(self._services.catalog, ALIASES, name, 0, change)

    def _version(self, entry: Entry) -> ModelVersion:
        aliases = tuple(
            sorted(a for a, v in self._aliases(entry.name).items() if v == entry.version)
        )
        return ModelVersion.from_entry(entry, aliases=aliases, model_store=self._root)


def _deployments_serving(catalog: Catalog, name: str, version: int) -> list[str]:
    """The deployments any revision of which serves ``name`` ``version``."""
    return [
        e.name
        for e in catalog.list(DEPLOYMENT)
        if any(
            m.get("model") == name and int(m.get("version", -1)) == version
            for m in e.body.get("models", [])
        )
    ]


def _lineage(
    name: str,
    feature_view: FeatureView | None,
    training_dataset: TrainingDataset | None,
    inputs: Sequence[str] | None,
) -> JsonBody:
    """Where the model came from, and what its input looks like."""
    if feature_view is None:
        return {"lineage": {}, "input_schema": [], "input_example": []}
    lineage: JsonBody = {
        "feature_view": {"name": feature_view.name, "version": feature_view.version},
        "feature_groups": [f"{s.group}:{s.version}" for s in feature_view.query.selections],
    }
    schema = [
        {"name": f, "type": str(feature_view.feature_types[f])}
        for f in _inputs(name, feature_view, inputs)
    ]
    example: list[dict[str, Any]] = []
    if training_dataset is not None:
        if (training_dataset.feature_view, training_dataset.feature_view_version) != (
            feature_view.name,
            feature_view.version,
        ):
            raise DataError(
                f"training dataset {training_dataset.version} belongs to feature view "
                f"{training_dataset.feature_view}:{training_dataset.feature_view_version}, "
                f"not {feature_view.label}",
                obj=feature_view.label,
            )
        lineage["training_dataset"] = training_dataset.version
        lineage["feature_group_versions"] = training_dataset.group_versions
        split = "train" if "train" in training_dataset.rows else None
        rows = training_dataset.read(split, transformed=bool(training_dataset.transforms))
        example = json.loads(
            json.dumps(rows.to_arrow().slice(0, EXAMPLE_ROWS).to_pylist(), default=str)
        )
    return {"lineage": lineage, "input_schema": schema, "input_example": example}


def _inputs(name: str, feature_view: FeatureView, inputs: Sequence[str] | None) -> list[str]:
    """The model's input features in the view's order (the order they are served in)."""
    if inputs is None:
        return feature_view.features
    unknown = [f for f in inputs if f not in feature_view.features]
    if unknown or not inputs:
        raise SchemaError(
            f"model {name!r}: inputs must be some features of {feature_view.label}, "
            f"received {list(inputs)}" + (f" ({unknown} are not features)" if unknown else ""),
            obj=name,
            column=unknown[0] if unknown else "inputs",
            expected=feature_view.features,
            received=list(inputs),
        )
    return [f for f in feature_view.features if f in inputs]
