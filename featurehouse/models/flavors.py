"""Model flavors: how a kind of model is recognised, saved and loaded.

Each flavor is a small object in one table; the registry never branches on a library's
name. The library of a flavor is imported only when a model of that flavor is saved or
loaded.
"""

from __future__ import annotations

import importlib
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from featurehouse.errors import DataError, MissingDependencyError, SchemaError


class Flavor(Protocol):
    @property
    def name(self) -> str: ...

    def matches(self, model: Any) -> bool: ...

    def save(self, model: Any, directory: Path) -> str:
        """Write the model under ``directory``; return the artifact's file name."""
        ...

    def load(self, path: Path) -> Any: ...


def _module_of(model: Any) -> str:
    return type(model).__module__.split(".")[0]


def _require(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError.for_extra(module, extra) from exc


@dataclass(frozen=True)
class PickleFlavor:
    """Models whose library pickles them faithfully (scikit-learn, and plain functions by
    reference: they must be importable where the model is loaded)."""

    name: str
    module: str | None  # the library whose objects this flavor holds; None: any callable

    def matches(self, model: Any) -> bool:
        if self.module is None:
            return callable(model)
        return _module_of(model) == self.module

    def save(self, model: Any, directory: Path) -> str:
        with (directory / "model.pkl").open("wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        return "model.pkl"

    def load(self, path: Path) -> Any:
        if self.module is not None:
            _require(self.module, "models")
        with path.open("rb") as f:
            return pickle.load(f)


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


# Checked in order: the first that matches a model is its flavor.
FLAVORS: tuple[Flavor, ...] = (
    PickleFlavor("sklearn", "sklearn"),
    XGBoostFlavor(),
    LightGBMFlavor(),
    TorchFlavor(),
    PickleFlavor("python_function", None),
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
