"""The one exception tree of featurehouse (standard library only).

    FeaturehouseError                      every error featurehouse raises
    ├── InvalidNameError      (ValueError) a name that is not a valid identifier
    ├── SchemaError           (ValueError) data or a schema that does not fit
    ├── DataError             (ValueError) bad values: null keys, empty inserts, bad keys
    │   └── ValidationError                rows that fail a feature group's expectations
    ├── NotFoundError         (KeyError)   an unknown object or version
    ├── AlreadyExistsError    (ValueError) creating an object that exists
    ├── ConflictError                      a concurrent change won; retrying can help
    ├── BackendError                       a store or driver failed; see .retryable
    └── MissingDependencyError (ImportError) an optional extra is not installed

Every error carries the object it concerns (``obj``) and, where it applies, the
``column``, what was ``expected`` and what was ``received``. ``retryable`` says
whether trying the same call again can succeed.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExistsError",
    "BackendError",
    "ConflictError",
    "DataError",
    "FeaturehouseError",
    "InvalidNameError",
    "MissingDependencyError",
    "NotFoundError",
    "SchemaError",
    "ValidationError",
]


class FeaturehouseError(Exception):
    """Base of every featurehouse error."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        obj: str | None = None,
        column: str | None = None,
        expected: Any = None,
        received: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.obj = obj
        self.column = column
        self.expected = expected
        self.received = received

    def __str__(self) -> str:
        return self.message


class InvalidNameError(FeaturehouseError, ValueError):
    """A feature group, column or other name is not a valid identifier."""


class SchemaError(FeaturehouseError, ValueError):
    """Data does not fit a schema, or a schema change is not allowed in place."""


class DataError(FeaturehouseError, ValueError):
    """Values are not acceptable: null keys, an empty insert, malformed keys."""


class ValidationError(DataError):
    """A batch failed its feature group's expectations and nothing was written.

    ``report`` is the stored validation report (per-expectation results, rows failed).
    """

    def __init__(self, message: str, *, report: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.report = report


class NotFoundError(FeaturehouseError, KeyError):
    """An object or version does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class AlreadyExistsError(FeaturehouseError, ValueError):
    """Creating an object that already exists."""


class ConflictError(FeaturehouseError):
    """A concurrent writer changed the object first; trying again can succeed."""

    retryable = True


class BackendError(FeaturehouseError):
    """A store or its driver failed."""

    def __init__(self, message: str, *, retryable: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = retryable


class MissingDependencyError(FeaturehouseError, ImportError):
    """An optional dependency is not installed; the message names the pip install line."""

    @classmethod
    def for_extra(cls, module: str, extra: str) -> MissingDependencyError:
        return cls(
            f"the Python package {module!r} is needed for this; "
            f'install it with: pip install "featurehouse[{extra}]"',
            obj=module,
        )
