"""Model flavors: how a kind of model is recognised, saved, loaded and asked to predict.

Each flavor is a small object in one table; the registry and the predictor never branch on
a library's name. The library of a flavor is imported only when a model of that flavor is
saved, loaded or predicts.
"""

from __future__ import annotations

import importlib
import json
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from featurehouse.errors import DataError, MissingDependencyError, SchemaError


@dataclass(frozen=True)
class ModelInput:
    """Rows of a model's input, each with a value for every one of ``columns`` (None for a
    missing one). ``fitted_names`` label the columns, in their order, for a model fitted on
    a DataFrame."""

    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[str]
    fitted_names: Sequence[str] | None = None

    def matrix(self, dtype: Any) -> Any:
        """The rows as a 2-D numpy array in ``columns`` order; a missing value is NaN."""
        import numpy as np

        return np.array(
            [[np.nan if row[c] is None else row[c] for c in self.columns] for row in self.rows],
            dtype=dtype,
        )


class Flavor(Protocol):
    @property
    def name(self) -> str: ...

    def matches(self, model: Any) -> bool: ...

    def save(self, model: Any, directory: Path) -> str:
        """Write the model under ``directory``; return the artifact's file name."""
        ...

    def load(self, path: Path) -> Any: ...

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        """One prediction per row: a classifier's probability of its last class, else the
        predicted value."""
        ...


def _module_of(model: Any) -> str:
    return type(model).__module__.split(".")[0]


def _require(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError.for_extra(module, extra) from exc


def _pickle_save(model: Any, directory: Path) -> str:
    with (directory / "model.pkl").open("wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    return "model.pkl"


def _pickle_load(path: Path) -> Any:
    with path.open("rb") as f:
        return pickle.load(f)


def _predict_array(model: Any, given: ModelInput) -> list[Any]:
    """A model with a scikit-learn API (XGBoost and LightGBM wrappers included), given a
    float array, or a DataFrame of the names it was fitted with."""
    matrix = given.matrix("float64")
    data: Any = matrix
    if given.fitted_names is not None:
        import pandas as pd

        data = pd.DataFrame(matrix, columns=list(given.fitted_names))
    if hasattr(model, "predict_proba"):
        return [float(v) for v in model.predict_proba(data)[:, -1]]
    return [v.item() if hasattr(v, "item") else v for v in model.predict(data)]


@dataclass(frozen=True)
class PickleFlavor:
    """Models of a library that pickles them faithfully (scikit-learn)."""

    name: str
    module: str  # the library whose objects this flavor holds

    def matches(self, model: Any) -> bool:
        return _module_of(model) == self.module

    def save(self, model: Any, directory: Path) -> str:
        return _pickle_save(model, directory)

    def load(self, path: Path) -> Any:
        _require(self.module, "models")
        return _pickle_load(path)

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        return _predict_array(model, given)


@dataclass(frozen=True)
class FunctionFlavor:
    """Plain Python functions, pickled by reference (they must be importable where the
    model is loaded). One takes a list of feature dicts and returns one prediction each."""

    name: str = "python_function"

    def matches(self, model: Any) -> bool:
        return callable(model)

    def save(self, model: Any, directory: Path) -> str:
        return _pickle_save(model, directory)

    def load(self, path: Path) -> Any:
        return _pickle_load(path)

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        return list(model([{c: row[c] for c in given.columns} for row in given.rows]))


# The XGBoost classes a model can be: the native booster and the scikit-learn wrappers.
XGBOOST_CLASSES = (
    "Booster",
    "XGBClassifier",
    "XGBRanker",
    "XGBRegressor",
    "XGBRFClassifier",
    "XGBRFRegressor",
)


@dataclass(frozen=True)
class XGBoostFlavor:
    """XGBoost models in its own portable format (UBJSON), scikit-learn wrappers included;
    the class to rebuild is named in ``wrapper.json``. Nothing is unpickled: artifacts of
    earlier versions, which pickled the class, are read by an unpickler that accepts only
    an XGBoost class."""

    name: str = "xgboost"

    def matches(self, model: Any) -> bool:
        return _module_of(model) == "xgboost"

    def save(self, model: Any, directory: Path) -> str:
        kind = type(model).__name__
        if kind not in XGBOOST_CLASSES:
            raise SchemaError(
                f"cannot save an XGBoost {kind}: expected one of {list(XGBOOST_CLASSES)}",
                obj=kind,
                expected=list(XGBOOST_CLASSES),
                received=kind,
            )
        model.save_model(str(directory / "model.ubj"))
        (directory / "wrapper.json").write_text(json.dumps({"class": kind}))
        return "model.ubj"

    def load(self, path: Path) -> Any:
        xgboost = _require("xgboost", "models")
        described = path.parent / "wrapper.json"
        if described.exists():
            kind = json.loads(described.read_text()).get("class")
        else:
            kind = _legacy_xgboost_class(path.parent / "wrapper.pkl")
        if kind not in XGBOOST_CLASSES:
            raise DataError(
                f"{path.parent.name}: wrapper.json (or an earlier version's wrapper.pkl) must "
                f"name an XGBoost model class, received {kind!r}",
                obj=path.parent.name,
                expected=list(XGBOOST_CLASSES),
                received=repr(kind),
            )
        model = getattr(xgboost, kind)()
        model.load_model(str(path))
        return model

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        return _predict_array(model, given)


class _ClassOnlyUnpickler(pickle.Unpickler):
    """Reads a pickled class reference, refusing every global but an XGBoost class (so
    loading runs no code)."""

    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] == "xgboost" and name in XGBOOST_CLASSES:
            return name
        raise pickle.UnpicklingError(f"{module}.{name}")


def _legacy_xgboost_class(path: Path) -> str | None:
    """The class name in ``wrapper.pkl``, which earlier versions of featurehouse wrote; None
    if there is none, or it holds anything else."""
    try:
        with path.open("rb") as f:
            found = _ClassOnlyUnpickler(f).load()
    except Exception:  # missing, or not a pickled class reference: no class named
        return None
    return found if isinstance(found, str) else None


@dataclass(frozen=True)
class LightGBMFlavor:
    """LightGBM boosters in its text format; scikit-learn wrappers pickled (they hold one)."""

    name: str = "lightgbm"

    def matches(self, model: Any) -> bool:
        return _module_of(model) == "lightgbm"

    def save(self, model: Any, directory: Path) -> str:
        if type(model).__name__ == "Booster":
            model.save_model(str(directory / "model.txt"))
            return "model.txt"
        return PickleFlavor("lightgbm", "lightgbm").save(model, directory)

    def load(self, path: Path) -> Any:
        lightgbm = _require("lightgbm", "models")
        if path.suffix == ".txt":
            return lightgbm.Booster(model_file=str(path))
        return PickleFlavor("lightgbm", "lightgbm").load(path)

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        return _predict_array(model, given)


@dataclass(frozen=True)
class TorchFlavor:
    """PyTorch modules, pickled whole by ``torch.save`` (as scikit-learn models are: a custom
    module's class must be importable where it is loaded). TorchScript, which would not
    need the class, is deprecated by PyTorch."""

    name: str = "pytorch"

    def matches(self, model: Any) -> bool:
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            return False
        return isinstance(model, torch.nn.Module)

    def save(self, model: Any, directory: Path) -> str:
        torch = _require("torch", "models")
        torch.save(model, str(directory / "model.pt"))
        return "model.pt"

    def load(self, path: Path) -> Any:
        torch = _require("torch", "models")
        return torch.load(str(path), weights_only=False)  # checksum verified first

    def predict(self, model: Any, given: ModelInput) -> list[Any]:
        """The last output of each row (a regressor's value, a classifier's last logit or
        probability), from a float32 tensor."""
        torch = _require("torch", "models")
        matrix = given.matrix("float32")
        with torch.no_grad():
            outputs = model(torch.from_numpy(matrix)).reshape(len(given.rows), -1)
        return [float(v) for v in outputs[:, -1]]


# Checked in order: the first that matches a model is its flavor.
FLAVORS: tuple[Flavor, ...] = (
    PickleFlavor("sklearn", "sklearn"),
    XGBoostFlavor(),
    LightGBMFlavor(),
    TorchFlavor(),
    FunctionFlavor(),
)


def detect(model: Any) -> Flavor:
    for flavor in FLAVORS:
        if flavor.matches(model):
            return flavor
    raise SchemaError(
        f"cannot register a {type(model).__name__}: expected a scikit-learn, XGBoost, LightGBM "
        "or PyTorch model, or a Python function",
        obj=type(model).__name__,
        expected=[f.name for f in FLAVORS],
        received=type(model).__name__,
    )


def by_name(name: str) -> Flavor:
    for flavor in FLAVORS:
        if flavor.name == name:
            return flavor
    raise SchemaError(
        f"unknown model flavor {name!r}", obj=name, expected=[f.name for f in FLAVORS]
    )
