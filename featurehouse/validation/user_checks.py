"""User-defined checks: functions declared with ``@fh.check``, stored by import path.

The declaration is what lets a catalog name the function: a stored check path is followed
only to a function declared so, in a trusted module (see ``featurehouse.common.imports``).

>>> @fh.check
... def positive_when_refund(batch: pa.Table) -> np.ndarray:
...     return ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from featurehouse.common.imports import ImportKind, remember_definition, resolve
from featurehouse.errors import SchemaError

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__featurehouse_check__"


def check(function: F) -> F:
    """Declare a function as a validation check that ``expect.check`` may store."""
    if not inspect.isfunction(function):
        raise SchemaError(
            f"@fh.check declares a function, received {type(function).__name__}",
            obj="fh.check",
            expected="a function",
            received=type(function).__name__,
        )
    setattr(function, _MARK, True)
    remember_definition(function.__module__)  # its module has run: a catalog may name it
    return function


def is_check(target: Any) -> bool:
    return inspect.isfunction(target) and target.__dict__.get(_MARK) is True


CHECK_FUNCTION = ImportKind("check", "a function declared with @fh.check", is_check)


def load_check(obj: str, name: str, reference: str, trusted: Sequence[str]) -> Any:
    """The check function an expectation of ``obj`` stores, if it may be imported."""
    return resolve(CHECK_FUNCTION, name, reference, trusted, owner=obj)
