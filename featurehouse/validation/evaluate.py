"""Evaluating expectations over an Arrow table with Arrow compute: whole columns at a time,
never row by row in Python.

A row-level check yields a mask of failed rows (True = failed, never null). Nulls, and NaN
in float columns, are missing values: they fail ``not_null`` and pass every other check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.errors import DataError, FeaturehouseError, SchemaError
from featurehouse.validation.expectation import (
    CHECK,
    ROW_KINDS,
    Expectation,
    check_columns,
    decode_value,
)
from featurehouse.validation.report import ExpectationResult
from featurehouse.validation.user_checks import load_check

Mask = Any  # a pyarrow BooleanArray or ChunkedArray without nulls
SAMPLE = 5  # distinct failing values kept in a report


@dataclass(frozen=True)
class Evaluation:
    """The results in suite order, and the failed-row masks of the row-level expectations
    that did not pass (the rows to quarantine)."""

    rows: int
    results: list[ExpectationResult]
    masks: dict[str, Mask]

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def batch_failed(self) -> bool:
        """A batch-level expectation failed: no single row is to blame."""
        return any(not r.success and not r.row_level for r in self.results)

    def invalid(self) -> Mask:
        """The rows to refuse or quarantine: those failing an expectation that did not
        pass, or every row when a batch-level expectation failed."""
        masks = list(self.masks.values())
        if self.batch_failed or not masks:
            return pa.repeat(self.batch_failed, self.rows)
        out = masks[0]
        for mask in masks[1:]:
            out = pc.or_(out, mask)
        return out


class _Columns:
    """The batch's columns, NaN turned to null once per column (NaN counts as missing)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._cache: dict[str, pa.ChunkedArray] = {}

    def __getitem__(self, name: str) -> pa.ChunkedArray:
        if name not in self._cache:
            values = self.table.column(name)
            if pa.types.is_floating(values.type) and pc.any(pc.is_nan(values)).as_py():
                values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
            self._cache[name] = values
        return self._cache[name]


def evaluate(
    obj: str, expectations: Sequence[Expectation], table: pa.Table, trusted: Sequence[str] = ()
) -> Evaluation:
    """Run every expectation over ``table``; an expectation that cannot run on its
    column's type raises a SchemaError naming it. A user-defined check is imported only
    from a trusted module (``featurehouse`` and ``trusted``, see ``featurehouse.common.imports``)."""
    columns = _Columns(table)
    checks = {
        item.name: load_check(obj, item.name, item.params.get("function", ""), trusted)
        for item in expectations
        if item.kind == CHECK
    }  # all resolved before any runs
    results, masks = [], {}
    for item in expectations:
        check_columns(obj, item, table.column_names)
        try:
            result, mask = _run(item, columns, checks.get(item.name))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            column = None if item.column is None else table.schema.field(item.column)
            raise SchemaError(
                f"{obj}: expectation {item.name!r} cannot run on column {item.column!r} "
                f"of type {None if column is None else column.type}: {exc}",
                obj=obj,
                column=item.column,
                expected=item.kind,
                received=None if column is None else str(column.type),
            ) from exc
        results.append(result)
        if mask is not None and not result.success:
            masks[item.name] = mask
    return Evaluation(table.num_rows, results, masks)


def _run(
    item: Expectation, columns: _Columns, function: Callable[[Any], Any] | None
) -> tuple[ExpectationResult, Mask | None]:
    rows = columns.table.num_rows
    if function is not None:
        outcome = _user_check(item, columns, function)
        if isinstance(outcome, bool):
            return _batch_result(item, outcome, outcome, rows), None
        return _row_result(item, outcome, rows, None), outcome
    if item.kind in ROW_KINDS:
        mask = ROW_CHECKS[item.kind](columns, item)
        values = columns[str(item.column)]
        checked = rows if item.kind in ("not_null", "unique") else rows - values.null_count
        sample = None if item.kind == "not_null" else values
        return _row_result(item, mask, checked, sample), mask
    observed = BATCH_STATISTICS[item.kind](columns, item)
    return _batch_result(item, observed, _within(observed, item.params), rows), None


def _row_result(
    item: Expectation, mask: Mask, checked: int, values: pa.ChunkedArray | None
) -> ExpectationResult:
    failed = int(pc.sum(mask).as_py() or 0)
    success = failed <= (1.0 - item.mostly) * checked + 1e-9
    unexpected = []
    if failed and values is not None:
        sample = pc.unique(pc.filter(values, mask).slice(0, 1000)).slice(0, SAMPLE)
        unexpected = [_jsonable(v) for v in sample.to_pylist()]
    return ExpectationResult(
        item.name, item.kind, item.column, success, True, checked, failed, unexpected=unexpected
    )


def _batch_result(item: Expectation, observed: Any, success: bool, rows: int) -> ExpectationResult:
    return ExpectationResult(item.name, item.kind, item.column, success, False, rows, 0, observed)


# -- row-level checks: a mask of failed rows ------------------------------------------


def _not_null(columns: _Columns, item: Expectation) -> Mask:
    return pc.is_null(columns[str(item.column)])


def _between(columns: _Columns, item: Expectation) -> Mask:
    return _outside(columns[str(item.column)], item.params)


def _length_between(columns: _Columns, item: Expectation) -> Mask:
    values = columns[str(item.column)]
    length = pc.binary_length if pa.types.is_binary(values.type) else pc.utf8_length
    return _outside(length(values), item.params)


def _outside(values: pa.ChunkedArray, params: dict[str, Any]) -> Mask:
    """Values outside [low, high] (each end inclusive or not); nulls are not outside."""
    inclusive = params["inclusive"]
    parts = []
    if params["low"] is not None:
        below = pc.less if inclusive in ("both", "left") else pc.less_equal
        parts.append(below(values, _scalar(params["low"], values.type)))
    if params["high"] is not None:
        above = pc.greater if inclusive in ("both", "right") else pc.greater_equal
        parts.append(above(values, _scalar(params["high"], values.type)))
    if not parts:
        return pa.repeat(False, len(values))
    mask = parts[0] if len(parts) == 1 else pc.or_(parts[0], parts[1])
    return pc.fill_null(mask, False) if values.null_count else mask


def _in_set(columns: _Columns, item: Expectation) -> Mask:
    values = columns[str(item.column)]
    members = [decode_value(v) for v in item.params["values"]]
    value_set = pa.array(members).cast(values.type) if members else pa.array([], values.type)
    mask = pc.invert(pc.is_in(values, value_set=value_set, skip_nulls=True))
    return pc.and_(mask, pc.is_valid(values)) if values.null_count else mask


def _regex(columns: _Columns, item: Expectation) -> Mask:
    values = columns[str(item.column)]
    mask = pc.invert(pc.match_substring_regex(values, item.params["pattern"]))
    return pc.fill_null(mask, False) if values.null_count else mask


def _unique(columns: _Columns, item: Expectation) -> Mask:
    """Rows whose value (of the columns, within each ``within`` group) is repeated."""
    import numpy as np

    checked = [str(item.column), *item.params.get("also", [])]
    names = [*checked, *item.params.get("within", [])]
    keys = pa.table({f"c{i}": columns[n] for i, n in enumerate(names)})
    if len(names) == 1:  # one column: a set membership test is cheaper than a join
        counts = keys.group_by(["c0"], use_threads=False).aggregate([("c0", "count")])
        repeated = pc.filter(counts.column("c0"), pc.greater(counts.column("c0_count"), 1))
        mask = pc.is_in(keys.column("c0"), value_set=repeated, skip_nulls=True)
        return pc.fill_null(mask, False)
    keys = keys.append_column("row", pa.array(np.arange(keys.num_rows)))
    if any(keys.column(f"c{i}").null_count for i in range(len(checked))):
        keys = keys.filter(_all([pc.is_valid(keys.column(f"c{i}")) for i in range(len(checked))]))
    key_names = [f"c{i}" for i in range(len(names))]
    counts = keys.group_by(key_names, use_threads=False).aggregate([("row", "count")])
    repeated = counts.filter(pc.greater(counts.column("row_count"), 1)).drop(["row_count"])
    rows = keys.join(repeated, key_names, join_type="left semi", use_threads=False)
    flags = np.zeros(columns.table.num_rows, dtype=bool)
    flags[rows.column("row").to_numpy()] = True
    return pa.array(flags)


def _all(masks: list[Mask]) -> Mask:
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_(out, mask)
    return out


ROW_CHECKS: dict[str, Callable[[_Columns, Expectation], Mask]] = {
    "not_null": _not_null,
    "unique": _unique,
    "between": _between,
    "in_set": _in_set,
    "regex": _regex,
    "length_between": _length_between,
}

# -- batch-level statistics -------------------------------------------------------------


def _numeric(columns: _Columns, item: Expectation) -> pa.ChunkedArray:
    values = columns[str(item.column)]
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise pa.ArrowNotImplementedError(f"{item.kind} needs a numeric column")
    return values


def _mean(columns: _Columns, item: Expectation) -> float | None:
    return pc.mean(_numeric(columns, item)).as_py()  # type: ignore[no-any-return]


def _stddev(columns: _Columns, item: Expectation) -> float | None:
    values = _numeric(columns, item)
    if len(values) - values.null_count < 2:
        return None
    return pc.stddev(values, ddof=1).as_py()  # type: ignore[no-any-return]


def _quantile(columns: _Columns, item: Expectation) -> float | None:
    values = _numeric(columns, item)
    if values.null_count == len(values):
        return None
    q = pc.quantile(values, q=item.params["quantile"], interpolation="linear")
    return q[0].as_py()  # type: ignore[no-any-return]


def _row_count(columns: _Columns, item: Expectation) -> int:
    return int(columns.table.num_rows)


BATCH_STATISTICS: dict[str, Callable[[_Columns, Expectation], Any]] = {
    "mean_between": _mean,
    "stddev_between": _stddev,
    "quantile_between": _quantile,
    "row_count_between": _row_count,
}


def _within(observed: Any, params: dict[str, Any]) -> bool:
    """``observed`` lies within the bounds; a statistic of no values (None) does not."""
    if observed is None:
        return False
    low, high, inclusive = params["low"], params["high"], params["inclusive"]
    if low is not None and (observed < low if inclusive in ("both", "left") else observed <= low):
        return False
    return high is None or (observed <= high if inclusive in ("both", "right") else observed < high)


# -- user-defined checks ----------------------------------------------------------------


def _user_check(
    item: Expectation, columns: _Columns, function: Callable[[Any], Any]
) -> bool | Mask:
    """Call the user's function; a bool judges the batch, an array judges each row."""
    import numpy as np

    argument = columns.table if item.column is None else columns[item.column]
    try:
        outcome = function(argument)
    except FeaturehouseError:
        raise
    except Exception as exc:
        raise DataError(
            f"check {item.name!r} ({item.params['function']}) failed: {type(exc).__name__}: {exc}",
            obj=item.name,
            column=item.column,
        ) from exc
    if isinstance(outcome, bool | np.bool_ | pa.BooleanScalar):
        return bool(outcome.as_py() if isinstance(outcome, pa.BooleanScalar) else outcome)
    if not isinstance(outcome, pa.Array | pa.ChunkedArray):
        outcome = pa.array(np.asarray(outcome))
    if outcome.type != pa.bool_() or len(outcome) != columns.table.num_rows:
        raise DataError(
            f"check {item.name!r} must return one bool or a boolean mask of "
            f"{columns.table.num_rows} rows; received {outcome.type} of length {len(outcome)}",
            obj=item.name,
            column=item.column,
            expected=f"bool or bool[{columns.table.num_rows}]",
            received=f"{outcome.type}[{len(outcome)}]",
        )
    return pc.fill_null(pc.invert(outcome), True)  # failed rows; a null is a failure


def _scalar(value: Any, target: pa.DataType) -> pa.Scalar:
    value = decode_value(value)
    if pa.types.is_timestamp(target) or pa.types.is_date(target):
        return pa.scalar(value, type=target)
    return pa.scalar(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
