"""Model flavors: how a kind of model is recognised, saved and loaded.

Each flavor is a small object in one table; the registry never branches on a library's
name. The library of a flavor is imported only when a model of that flavor is saved or
loaded.
"""

from __future__ import annotations

import importlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from featurehouse.errors import MissingDependencyError, SchemaError


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


@dataclass(frozen=True)
class XGBoostFlavor:
    """XGBoost models in its own portable format (UBJSON), scikit-learn wrappers included."""

    name: str = "xgboost"

    def matches(self, model: Any) -> bool:
        return _module_of(model) == "xgboost"

    def save(self, model: Any, directory: Path) -> str:
        model.save_model(str(directory / "model.ubj"))
        with (directory / "wrapper.pkl").open("wb") as f:
            pickle.dump(type(model), f)
        return "model.ubj"

    def load(self, path: Path) -> Any:
        _require("xgboost", "models")
        with (path.parent / "wrapper.pkl").open("rb") as f:
            cls = pickle.load(f)
        model = cls()
        model.load_model(str(path))
        return model


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
