"""An expectation: one declarative check of a batch, stored as JSON in the catalog.

Row-level expectations judge each row (a row fails or passes); batch-level ones judge the
batch as a whole (its mean, its row count) and cannot name a failing row. A user-defined
check is either, depending on what its function returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from featurehouse.errors import SchemaError

ROW_KINDS = ("not_null", "unique", "between", "in_set", "regex", "length_between")
BATCH_KINDS = ("mean_between", "stddev_between", "quantile_between", "row_count_between")
CHECK = "check"
KINDS = (*ROW_KINDS, *BATCH_KINDS, CHECK)
INCLUSIVE = ("both", "neither", "left", "right")


@dataclass(frozen=True)
class Expectation:
    """One check: ``kind`` over ``column`` with ``params``, named in reports and quarantine.

    ``mostly`` (row-level only, as in Great Expectations): the expectation passes when at
    least this fraction of the checked values pass.
    """

    kind: str
    column: str | None
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    mostly: float = 1.0

    @property
    def columns(self) -> list[str]:
        """Every column the expectation reads."""
        names = [self.column] if self.column else []
        return [*names, *self.params.get("also", []), *self.params.get("within", [])]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "column": self.column,
            "name": self.name,
            "params": dict(self.params),
            "mostly": self.mostly,
        }

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if v is not None and v != "both"}
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(shown.items(), key=_param_order))
        mostly = "" if self.mostly == 1.0 else f", mostly={self.mostly}"
        return f"expect.{self.kind}({self.column!r}{', ' if args else ''}{args}{mostly})"


def _param_order(item: tuple[str, Any]) -> int:
    order = ("quantile", "low", "high", "values", "pattern", "function", "also", "within")
    return order.index(item[0]) if item[0] in order else len(order)


def decode_value(value: Any) -> Any:
    """A stored bound or set member as Python: ``{"datetime": ISO 8601}`` becomes a datetime."""
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    return value


def expectation_from_json(data: dict[str, Any]) -> Expectation:
    if data.get("kind") not in KINDS:
        raise SchemaError(
            f"unknown expectation kind {data.get('kind')!r}; expected one of {list(KINDS)}",
            obj=str(data.get("name")),
            expected=list(KINDS),
            received=data.get("kind"),
        )
    return Expectation(
        kind=data["kind"],
        column=data["column"],
        name=data["name"],
        params=dict(data["params"]),
        mostly=float(data["mostly"]),
    )


def check_suite(obj: str, expectations: Sequence[Expectation], schema: pa.Schema | None) -> None:
    """Refuse a suite with duplicate names, or columns the group's schema does not have."""
    seen: set[str] = set()
    for item in expectations:
        if not isinstance(item, Expectation):
            raise SchemaError(
                f"{obj}: expectations must be made with featurehouse.validation.expect, "
                f"received {type(item).__name__}",
                obj=obj,
                expected="Expectation",
                received=type(item).__name__,
            )
        if item.name in seen:
            raise SchemaError(
                f"{obj}: two expectations are named {item.name!r}; give one of them name=...",
                obj=obj,
                expected="unique expectation names",
                received=item.name,
            )
        seen.add(item.name)
        if schema is not None:
            check_columns(obj, item, schema.names)


def check_columns(obj: str, item: Expectation, available: Sequence[str]) -> None:
    for column in item.columns:
        if column not in available:
            raise SchemaError(
                f"{obj}: expectation {item.name!r} reads column {column!r}, which the feature "
                f"group does not have; columns: {list(available)}",
                obj=obj,
                column=column,
                expected=list(available),
                received=column,
            )
