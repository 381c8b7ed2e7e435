"""The one way featurehouse turns a stored ``module:qualname`` into user code.

A catalog keeps transforms, on-demand features and validation checks by import path, and
importing a module runs its top-level code. So a stored path is followed only into a
trusted module — the featurehouse package, a module or package listed in the
``trusted_modules`` setting, or a module that defined a transform, on-demand feature or
check in this process — and only to an object of the kind the entry says: a subclass of
``fh.Transform``, a function declared with ``@fh.on_demand``, a function declared with
``@fh.check``. Anything else is refused before it is imported or called.

>>> from featurehouse.transforms.base import TRANSFORM
>>> resolve(TRANSFORM, "amount", "mypkg.features:Clip", ["mypkg"], owner="feature view fraud:1")
<class 'mypkg.features.Clip'>
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from featurehouse.errors import SchemaError

_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_DEFINED_HERE: set[str] = set()  # modules that declared a transform, on-demand feature or check
ALWAYS_TRUSTED = ("featurehouse",)


@dataclass(frozen=True)
class ImportKind:
    """What a stored path of one kind must resolve to."""

    label: str  # "transform", "on-demand feature", "check"
    expected: str  # said in errors: "a subclass of fh.Transform"
    accepts: Callable[[Any], bool]


def remember_definition(module: str) -> None:
    """Trust ``module`` in this process: it declared user code, so it has run already."""
    _DEFINED_HERE.add(module)


def is_trusted(module: str, trusted: Sequence[str]) -> bool:
    """``module`` is one of ``trusted`` (or featurehouse), inside one, or defined here."""
    return module in _DEFINED_HERE or any(
        module == prefix or module.startswith(prefix + ".")
        for prefix in (*ALWAYS_TRUSTED, *trusted)
    )


def resolve(
    kind: ImportKind, name: str, reference: str, trusted: Sequence[str], *, owner: str = ""
) -> Any:
    """The object ``reference`` names, if its module is trusted and it is of ``kind``.

    ``name`` is the entry's name and ``owner`` the catalog object holding it, for errors.
    """
    module, _, qualname = str(reference).partition(":")
    dunder = any(part.startswith("__") for part in qualname.split("."))  # __builtins__ ...
    if not _IDENTIFIERS.fullmatch(module) or not _IDENTIFIERS.fullmatch(qualname) or dunder:
        raise _refuse(kind, name, reference, owner, "is not a module:name import path")
    if module == "__main__":
        raise _refuse(kind, name, reference, owner, _IN_MAIN)
    if not is_trusted(module, trusted):
        raise _refuse(
            kind,
            name,
            reference,
            owner,
            f"is in module {module!r}, which is not trusted: importing it would run its code. "
            f'If you trust it, list it in trusted_modules (featurehouse.toml: trusted_modules = ["'
            f'{module.split(".")[0]}"], or FEATUREHOUSE_TRUSTED_MODULES={module.split(".")[0]})',
        )
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception as exc:  # the module's own code failed, or it lacks the name
        raise _refuse(
            kind,
            name,
            reference,
            owner,
            f"cannot be imported ({type(exc).__name__}: {exc}); it must be importable by this "
            "process (on its PYTHONPATH)",
        ) from exc
    if not kind.accepts(target):
        raise _refuse(kind, name, reference, owner, f"is not {kind.expected}")
    return target


def reference_to(kind: ImportKind, name: str, source: Any, target: Any) -> str:
    """The import path to store for ``target`` (declared as ``source``, a function or
    class): refused now if another process could not import it back."""
    module = getattr(source, "__module__", None)
    qualname = str(getattr(source, "__qualname__", ""))
    reference = f"{module}:{qualname}"
    if module == "__main__":
        raise _refuse(kind, name, reference, "", _IN_MAIN)
    if "<locals>" in qualname:
        raise _refuse(
            kind,
            name,
            reference,
            "",
            "is defined inside a function; define it at the top level of a module",
        )
    if resolve(kind, name, reference, ()) is not target:
        raise _refuse(kind, name, reference, "", "does not import back as this object")
    return reference


_IN_MAIN = (
    "is defined in __main__ (a notebook or a script), which another process cannot import. "
    "Move it to a module (a .py file) importable by the process that serves or reads the "
    "definition, and import it from there"
)


def _refuse(kind: ImportKind, name: str, reference: str, owner: str, reason: str) -> SchemaError:
    where = f"{owner}: " if owner else ""
    return SchemaError(
        f"{where}{kind.label} {name!r}: {reference!r} {reason}",
        obj=owner or name,
        column=name,
        expected=kind.expected,
        received=reference,
    )
