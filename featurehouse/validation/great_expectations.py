"""Reading a Great Expectations suite saved as JSON (without Great Expectations installed).

Both layouts are read: the 0.x one (``expectation_suite_name``, each expectation with
``expectation_type``) and the 1.x one (``name``, each with ``type``). Each supported type
maps to one ``expect`` call (a quantile range to one per quantile); any other type, or a
keyword that changes what a check means (``row_condition``, ``parse_strings_as_datetimes``),
is refused with an error naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from featurehouse.errors import SchemaError
from featurehouse.validation import constructors as expect
from featurehouse.validation.expectation import Expectation

# Keywords about how Great Expectations reports a result, not what it checks.
_IGNORED = {"result_format", "include_config", "catch_exceptions", "meta", "notes", "id"}


def _inclusive(kw: dict[str, Any]) -> str:
    strict_min, strict_max = kw.pop("strict_min", False), kw.pop("strict_max", False)
    return {
        (False, False): "both",
        (True, False): "right",
        (False, True): "left",
        (True, True): "neither",
    }[(bool(strict_min), bool(strict_max))]


def _mostly(kw: dict[str, Any]) -> Any:
    """GE's ``mostly`` as written (absent or null means every value); ``expect`` refuses a
    fraction it cannot honour, such as 0.0, rather than it becoming 1.0."""
    value = kw.pop("mostly", None)
    return 1.0 if value is None else value


def _bounded(make: Callable[..., Expectation], mostly: bool) -> Callable[..., list[Expectation]]:
    """A ``*_to_be_between`` type: min_value / max_value / strict_min / strict_max."""

    def convert(kw: dict[str, Any]) -> list[Expectation]:
        inclusive = _inclusive(kw)
        args = [kw.pop("column")] if "column" in kw else []
        extra = {"mostly": _mostly(kw)} if mostly else {}
        return [
            make(
                *args,
                kw.pop("min_value", None),
                kw.pop("max_value", None),
                inclusive=inclusive,
                **extra,
            )
        ]

    return convert


def _equal(make: Callable[..., Expectation], mostly: bool) -> Callable[..., list[Expectation]]:
    """A ``*_to_equal`` type: ``value`` is both bounds."""

    def convert(kw: dict[str, Any]) -> list[Expectation]:
        args = [kw.pop("column")] if "column" in kw else []
        value = kw.pop("value")
        extra = {"mostly": _mostly(kw)} if mostly else {}
        return [make(*args, value, value, **extra)]

    return convert


def _quantiles(kw: dict[str, Any]) -> list[Expectation]:
    column, ranges = kw.pop("column"), kw.pop("quantile_ranges")
    kw.pop("allow_relative_error", None)  # featurehouse computes exact quantiles
    return [
        expect.quantile_between(column, q, low, high)
        for q, (low, high) in zip(ranges["quantiles"], ranges["value_ranges"], strict=True)
    ]


def _median(kw: dict[str, Any]) -> list[Expectation]:
    inclusive = _inclusive(kw)
    column, low, high = kw.pop("column"), kw.pop("min_value", None), kw.pop("max_value", None)
    return [
        expect.quantile_between(
            column, 0.5, low, high, inclusive=inclusive, name=f"median_between({column})"
        )
    ]


def _column(make: Callable[..., Expectation], *keys: str) -> Callable[..., list[Expectation]]:
    """A column check with positional ``keys`` (``value_set``, ``regex``) and ``mostly``."""

    def convert(kw: dict[str, Any]) -> list[Expectation]:
        args = [kw.pop(key) for key in ("column", *keys)]
        return [make(*args, mostly=_mostly(kw))]

    return convert


def _compound_unique(kw: dict[str, Any]) -> list[Expectation]:
    return [expect.unique(kw.pop("column_list"), mostly=_mostly(kw))]


CONVERTERS: dict[str, Callable[[dict[str, Any]], list[Expectation]]] = {
    "expect_column_values_to_not_be_null": _column(expect.not_null),
    "expect_column_values_to_be_unique": _column(expect.unique),
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_values_to_be_between": _bounded(expect.between, mostly=True),
    "expect_column_values_to_be_in_set": _column(expect.in_set, "value_set"),
    "expect_column_values_to_match_regex": _column(expect.regex, "regex"),
    "expect_column_value_lengths_to_be_between": _bounded(expect.length_between, mostly=True),
    "expect_column_value_lengths_to_equal": _equal(expect.length_between, mostly=True),
    "expect_column_mean_to_be_between": _bounded(expect.mean_between, mostly=False),
    "expect_column_stdev_to_be_between": _bounded(expect.stddev_between, mostly=False),
    "expect_column_median_to_be_between": _median,
    "expect_column_quantile_values_to_be_between": _quantiles,
    "expect_table_row_count_to_be_between": _bounded(expect.row_count_between, mostly=False),
    "expect_table_row_count_to_equal": _equal(expect.row_count_between, mostly=False),
}


def from_great_expectations(suite: str | Path | Mapping[str, Any]) -> list[Expectation]:
    """Expectations from a Great Expectations suite saved as JSON (a path or the parsed dict).

    An expectation type featurehouse cannot run is refused with an error naming it.
    """
    if isinstance(suite, str | Path):
        data = json.loads(Path(suite).read_text())
        source = str(suite)
    else:
        data, source = dict(suite), "the suite"
    items = data.get("expectations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SchemaError(
            f"{source}: not a Great Expectations suite (no 'expectations' list)",
            obj=source,
            expected="a JSON object with an 'expectations' list",
            received=type(items).__name__,
        )
    out: list[Expectation] = []
    for item in items:
        kind = item.get("expectation_type") or item.get("type")
        if kind not in CONVERTERS:
            raise SchemaError(
                f"{source}: Great Expectations type {kind!r} is not supported; supported: "
                f"{sorted(CONVERTERS)}",
                obj=source,
                expected=sorted(CONVERTERS),
                received=kind,
            )
        kwargs = {k: v for k, v in dict(item.get("kwargs", {})).items() if k not in _IGNORED}
        try:
            converted = CONVERTERS[kind](kwargs)
        except SchemaError as exc:  # a value expect refuses: say where it came from
            raise SchemaError(
                f"{source}: {kind}: {exc}",
                obj=source,
                column=exc.column,
                expected=exc.expected,
                received=exc.received,
            ) from exc
        except KeyError as exc:
            raise SchemaError(
                f"{source}: {kind} needs the keyword {exc.args[0]!r}",
                obj=source,
                column=str(exc.args[0]),
                expected=exc.args[0],
                received=sorted(item.get("kwargs", {})),
            ) from exc
        if kwargs:
            raise SchemaError(
                f"{source}: {kind}: keyword(s) {sorted(kwargs)} are not supported",
                obj=source,
                column=sorted(kwargs)[0],
                expected="no such keyword",
                received=sorted(kwargs),
            )
        out.extend(converted)
    return out
