"""The expectation constructors behind ``featurehouse.validation.expect``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.common.imports import reference_to
from featurehouse.errors import SchemaError
from featurehouse.validation.expectation import INCLUSIVE, Expectation, decode_value
from featurehouse.validation.user_checks import CHECK_FUNCTION, is_check


def not_null(column: str, *, mostly: float = 1.0, name: str | None = None) -> Expectation:
    """Every value is present (not null, not NaN)."""
    return _make("not_null", column, {}, mostly, name)


def unique(
    columns: str | Sequence[str],
    *,
    within: Sequence[str] = (),
    mostly: float = 1.0,
    name: str | None = None,
) -> Expectation:
    """No two rows of the batch share a value of ``columns`` (together), within each
    group of ``within`` if given (``unique("ts", within=["cc_num"])``). Every row of a
    repeated value fails; rows with a null in ``columns`` are not checked."""
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise _bad("unique", "columns", "at least one column", names)
    params: dict[str, Any] = {}
    if names[1:]:
        params["also"] = names[1:]
    if within:
        params["within"] = [within] if isinstance(within, str) else list(within)
    label = name or f"unique({', '.join(names)})"
    return _make("unique", names[0], params, mostly, label)


def between(
    column: str,
    low: Any = None,
    high: Any = None,
    *,
    inclusive: str = "both",
    mostly: float = 1.0,
    name: str | None = None,
) -> Expectation:
    """``low <= value <= high`` (numbers, strings or datetimes)."""
    return _make("between", column, _bounds("between", low, high, inclusive), mostly, name)


def in_set(
    column: str, values: Sequence[Any], *, mostly: float = 1.0, name: str | None = None
) -> Expectation:
    """Every value is one of ``values``."""
    if isinstance(values, str) or not isinstance(values, Sequence | set | frozenset):
        raise _bad("in_set", "values", "a list of values", values)
    return _make("in_set", column, {"values": [_plain(v) for v in values]}, mostly, name)


def regex(
    column: str, pattern: str, *, mostly: float = 1.0, name: str | None = None
) -> Expectation:
    """Every string contains a match of ``pattern`` (RE2 syntax, like ``re.search``;
    anchor it with ``^...$`` to match the whole string)."""
    try:
        pc.match_substring_regex(pa.array([""]), pattern)  # compiles it
    except (pa.ArrowInvalid, TypeError) as exc:
        raise _bad("regex", "pattern", "a valid RE2 regular expression", pattern, exc) from exc
    return _make("regex", column, {"pattern": pattern}, mostly, name)


def length_between(
    column: str,
    low: int | None = None,
    high: int | None = None,
    *,
    inclusive: str = "both",
    mostly: float = 1.0,
    name: str | None = None,
) -> Expectation:
    """The string length in characters is within the bounds (an empty string has length 0)."""
    params = _bounds("length_between", low, high, inclusive)
    return _make("length_between", column, params, mostly, name)


def mean_between(
    column: str,
    low: float | None = None,
    high: float | None = None,
    *,
    inclusive: str = "both",
    name: str | None = None,
) -> Expectation:
    """The batch's mean of ``column`` (nulls skipped) is within the bounds."""
    return _make("mean_between", column, _bounds("mean_between", low, high, inclusive), 1.0, name)


def stddev_between(
    column: str,
    low: float | None = None,
    high: float | None = None,
    *,
    inclusive: str = "both",
    name: str | None = None,
) -> Expectation:
    """The batch's sample standard deviation (ddof=1, nulls skipped) is within the bounds."""
    params = _bounds("stddev_between", low, high, inclusive)
    return _make("stddev_between", column, params, 1.0, name)


def quantile_between(
    column: str,
    quantile: float,
    low: float | None = None,
    high: float | None = None,
    *,
    inclusive: str = "both",
    name: str | None = None,
) -> Expectation:
    """The batch's ``quantile`` (0..1, linear interpolation as numpy) is within the bounds."""
    if not isinstance(quantile, int | float) or not 0 <= quantile <= 1:
        raise _bad("quantile_between", "quantile", "a number in [0, 1]", quantile)
    params = {"quantile": float(quantile), **_bounds("quantile_between", low, high, inclusive)}
    label = name or f"quantile_between({column}, {quantile:g})"
    return _make("quantile_between", column, params, 1.0, label)


def row_count_between(
    low: int | None = None,
    high: int | None = None,
    *,
    inclusive: str = "both",
    name: str | None = None,
) -> Expectation:
    """The batch has between ``low`` and ``high`` rows (after in-batch duplicates are dropped)."""
    params = _bounds("row_count_between", low, high, inclusive)
    return Expectation("row_count_between", None, name or "row_count_between", params)


def check(
    function: Callable[[Any], Any],
    column: str | None = None,
    *,
    mostly: float = 1.0,
    name: str | None = None,
) -> Expectation:
    """A user-defined vectorized check, stored by import path.

    ``function`` receives the column (a ``pyarrow.ChunkedArray``) when ``column`` is given,
    else the whole batch (a ``pyarrow.Table``). It returns a boolean mask, one entry per
    row with True for a valid row (an Arrow or numpy array; a null counts as invalid), or
    one bool for the whole batch. Declare it with ``@fh.check`` in an importable module
    (not ``__main__``): the catalog stores its import path.
    """
    if not is_check(function):
        raise _bad("check", "function", "a function declared with @fh.check", function)
    reference = reference_to(CHECK_FUNCTION, str(function.__name__), function, function)
    label = name or str(function.__name__)
    return _make("check", column, {"function": reference}, mostly, label)


def _make(
    kind: str, column: str | None, params: dict[str, Any], mostly: float, name: str | None
) -> Expectation:
    if not isinstance(column, str) and not (kind == "check" and column is None):
        raise _bad(kind, "column", "a column name", column)
    if not isinstance(mostly, int | float) or not 0 < mostly <= 1:
        raise _bad(kind, "mostly", "a fraction in (0, 1]", mostly)
    if name is not None and (not isinstance(name, str) or not name):
        raise _bad(kind, "name", "a non-empty string", name)
    return Expectation(kind, column, name or f"{kind}({column})", params, float(mostly))


def _bounds(kind: str, low: Any, high: Any, inclusive: str) -> dict[str, Any]:
    if inclusive not in INCLUSIVE:
        raise _bad(kind, "inclusive", list(INCLUSIVE), inclusive)
    low, high = _plain(low), _plain(high)
    if low is not None and high is not None:
        try:
            ordered = decode_value(low) <= decode_value(high)
        except TypeError as exc:
            raise _bad(kind, "low/high", "bounds of one type", (low, high), exc) from exc
        if not ordered:
            raise _bad(kind, "low/high", "low <= high", (low, high))
    return {"low": low, "high": high, "inclusive": inclusive}


def _plain(value: Any) -> Any:
    """A JSON-able bound or set member: a datetime as ``{"datetime": ISO 8601}`` (UTC when naive)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"datetime": aware.isoformat()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    raise SchemaError(
        f"expectation value {value!r}: expected a number, string, bool or datetime",
        expected="number, string, bool or datetime",
        received=type(value).__name__,
    )


def _bad(
    kind: str, param: str, expected: Any, received: Any, cause: Exception | None = None
) -> SchemaError:
    detail = f" ({cause})" if cause else ""
    return SchemaError(
        f"expect.{kind}: {param} must be {expected}, received {received!r}{detail}",
        obj=f"expect.{kind}",
        column=param,
        expected=expected,
        received=received,
    )
