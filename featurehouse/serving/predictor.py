"""Predictions through a deployment: features from its view, the transforms fitted on each
model's own training dataset, then the model. Used by the HTTP service and batch inference.

Each model's flavor (``models/flavors.py``) turns rows of its input columns into
predictions; a classifier gives the probability of its last class.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from featurehouse.errors import BackendError, DataError, NotFoundError
from featurehouse.models.flavors import Flavor, ModelInput, by_name
from featurehouse.transforms.apply import VectorTransform, output_names

if TYPE_CHECKING:
    from featurehouse.core.feature_view import FeatureView
    from featurehouse.models.deployments import Deployment
    from featurehouse.models.platform import Platform
    from featurehouse.models.registry import ModelVersion

REFRESH_SECONDS = 1.0  # how stale a deployment may be: changes are picked up without restart
logger = logging.getLogger("featurehouse.serving")


@dataclass(frozen=True)
class Prediction:
    request_id: str
    prediction: Any
    model: str
    model_version: int
    features: dict[str, Any]
    transformed: dict[str, Any]
    request: dict[str, Any]  # the request parameters the on-demand features took
    found: bool = True  # False: the entity is not in the online store (null features)


@dataclass
class _Loaded:
    """A model version ready to predict: the model, its input columns and statistics."""

    version: ModelVersion
    model: Any
    columns: list[str]
    statistics: dict[str, Any]
    prepare: Callable[[Mapping[str, Any]], dict[str, Any]]  # the model's input from a vector
    flavor: Flavor
    fitted_names: list[str] | None = None  # a model fitted on a DataFrame is given one


class Predictor:
    """Caches deployments (refreshed every second), views and loaded models. With
    ``threads``, models that take an ``n_jobs`` parameter use that many threads."""

    def __init__(self, store: Platform, threads: int | None = None) -> None:
        self._store = store
        self._threads = threads
        self._lock = threading.Lock()
        self._deployments: dict[str, tuple[float, Deployment]] = {}
        self._views: dict[tuple[str, int], FeatureView] = {}
        self._models: dict[tuple[str, int], _Loaded] = {}
        self._broken: set[tuple[str, int]] = set()  # model versions that failed to load

    def deployment(self, name: str) -> Deployment:
        now = time.monotonic()
        cached = self._deployments.get(name)
        if cached is None or now - cached[0] > REFRESH_SECONDS:
            cached = (now, self._store.deployments.get(name))
            self._deployments[name] = cached
        return cached[1]

    def view(self, deployment: Deployment) -> FeatureView:
        key = deployment.feature_view
        if key not in self._views:
            with self._lock:
                self._views.setdefault(key, self._store.get_feature_view(*key))
        return self._views[key]

    def loaded(self, view: FeatureView, model: str, version: int) -> _Loaded:
        key = (model, version)
        if key not in self._models:
            with self._lock:
                if key not in self._models:
                    mv = self._store.models.get(model, version)
                    dataset = mv.lineage.get("training_dataset")
                    stats = {} if dataset is None else view.get_training_dataset(dataset).statistics
                    inputs = mv.inputs or view.features
                    columns = output_names(inputs, view.transforms, stats) if stats else inputs
                    prepare = VectorTransform(view.transforms, stats) if stats else dict
                    model = mv.load()
                    if self._threads is not None:
                        limit_threads(model, self._threads)
                    names = fitted_names(mv, model, columns)
                    if names is not None and sorted(names) == sorted(columns):
                        columns = names  # by name, in the order it was fitted in
                    flavor = by_name(mv.flavor)
                    self._models[key] = _Loaded(mv, model, columns, stats, prepare, flavor, names)
        return self._models[key]

    def served(
        self, deployment: Deployment, view: FeatureView, model: str, version: int
    ) -> _Loaded:
        """``loaded``, for a deployment: a model it cannot load is the server's fault, not
        the caller's (a missing or changed artifact, a deleted version). It is logged, the
        deployment counts as unhealthy until the model loads, and a ``BackendError`` says
        which model, without the details (paths) the log has."""
        try:
            loaded = self.loaded(view, model, version)
        except Exception as exc:
            self._broken.add((model, version))
            logger.error(
                "deployment %s: model %s:%s cannot be loaded: %s",
                deployment.name,
                model,
                version,
                exc,
            )
            raise BackendError(
                f"deployment {deployment.name!r}: model {model}:{version} cannot be loaded",
                obj=deployment.name,
            ) from exc
        self._broken.discard((model, version))
        return loaded

    def unhealthy(self) -> list[str]:
        """The deployments seen so far whose current models do not all load."""
        return sorted(
            name
            for name in list(self._deployments)
            if any((s.model, s.version) in self._broken for s in self.deployment(name).models)
        )

    def predict(
        self,
        name: str,
        entities: Sequence[Mapping[str, Any]],
        request: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> list[Prediction]:
        """One prediction per entity, each by the model version its key is routed to."""
        deployment = self.deployment(name)
        view = self.view(deployment)
        if request is None or isinstance(request, Mapping):
            requests = [request or {}] * len(entities)
        else:
            requests = list(request)
            if len(requests) != len(entities):
                raise DataError(
                    f"deployment {name!r}: {len(requests)} requests for {len(entities)} entities",
                    obj=name,
                    column="request",
                    expected=len(entities),
                    received=len(requests),
                )
        # one read: the vectors, and whether each entity is in the online store
        raw, found = view.get_feature_vector_list_found(entities, requests)
        if deployment.missing_entities == "refuse" and not all(found):
            refuse_missing(name, entities, found)
        results: list[Prediction] = [None] * len(entities)  # type: ignore[list-item]
        groups: dict[tuple[str, int], list[int]] = {}
        for i, entity in enumerate(entities):
            served = deployment.choose(tuple(entity[k] for k in view.keys))
            groups.setdefault((served.model, served.version), []).append(i)
        for (model, version), rows in groups.items():
            loaded = self.served(deployment, view, model, version)
            features = [{f: raw[i][f] for f in view.features} for i in rows]
            inputs = [loaded.prepare(f) for f in features]
            outputs = run_model(loaded, inputs)
            for i, feature_row, input_row, output in zip(
                rows, features, inputs, outputs, strict=True
            ):
                request_values = {p: requests[i].get(p) for p in view.request_parameters}
                results[i] = Prediction(
                    uuid.uuid4().hex,
                    output,
                    model,
                    version,
                    feature_row,
                    input_row,
                    request_values,
                    found[i],
                )
        return results


def refuse_missing(name: str, entities: Sequence[Mapping[str, Any]], found: Sequence[bool]) -> None:
    missing = [i for i, present in enumerate(found) if not present]
    first = missing[0]
    raise NotFoundError(
        f"deployment {name!r} refuses entities not in the online store: entities{missing[:10]} "
        f"({dict(entities[first])}{', ...' if len(missing) > 1 else ''})",
        obj=name,
        column=f"entities[{first}]",
        expected="an entity in the online store",
        received=dict(entities[first]),
    )


def limit_threads(model: Any, threads: int) -> None:
    """Make a model with a scikit-learn API (XGBoost and LightGBM wrappers included) use
    ``threads`` threads to predict."""
    get_params = getattr(model, "get_params", None)
    if get_params is not None and "n_jobs" in get_params():
        model.set_params(n_jobs=threads)


def fitted_names(mv: ModelVersion, model: Any, columns: list[str]) -> list[str] | None:
    """The column names a scikit-learn-style model was fitted with, if it was fitted on a
    DataFrame (it warns when predicting from an array)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return None
    names = [str(n) for n in names]
    if sorted(names) != sorted(columns):
        logger.warning(
            "model %s:%s was fitted on columns %s, its view serves %s: they are given in the "
            "view's order",
            mv.name,
            mv.version,
            names,
            columns,
        )
    return names


def run_model(loaded: _Loaded, inputs: list[dict[str, Any]]) -> list[Any]:
    """The model's predictions for rows of input columns, as its flavor makes them."""
    given = ModelInput(inputs, loaded.columns, loaded.fitted_names)
    return loaded.flavor.predict(loaded.model, given)
