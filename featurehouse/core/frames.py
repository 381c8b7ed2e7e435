"""Data in and out: pandas, polars, Arrow and lists of dicts become Arrow tables; results
offer ``to_arrow``, ``to_pandas`` and ``to_polars``.

polars is optional (the ``polars`` extra): its frames are told apart by their type's module
name, so reading data never imports it, and only ``to_polars`` needs it installed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.errors import (
    DataError,
    FeaturehouseError,
    InvalidNameError,
    MissingDependencyError,
    SchemaError,
)

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl


def to_arrow(obj: str, data: Any) -> pa.Table:
    """Convert a pandas or polars DataFrame, an Arrow table or batch, or a list of dicts.

    A column that cannot become one Arrow column (ints and strings mixed, an int beyond
    64 bits) is a SchemaError naming it; a repeated column name an InvalidNameError."""
    try:
        return _convert(obj, data)
    except FeaturehouseError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError) as exc:
        raise _conversion_error(obj, data, exc) from exc


def _convert(obj: str, data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    if isinstance(data, Mapping):
        return pa.table(dict(data))
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        if not all(isinstance(row, Mapping) for row in data):
            raise DataError(
                f"{obj}: a list of rows must hold dicts",
                obj=obj,
                expected="list of dict",
                received=type(next(r for r in data if not isinstance(r, Mapping))).__name__,
            )
        return pa.Table.from_pylist(list(data))
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise DataError(
        f"{obj}: cannot read data of type {type(data).__name__}",
        obj=obj,
        expected="pandas or polars DataFrame, pyarrow Table, or list of dicts",
        received=type(data).__name__,
    )


def _conversion_error(obj: str, data: Any, exc: Exception) -> FeaturehouseError:
    """The error for data that Arrow cannot convert, naming the first column at fault."""
    columns = _columns(data)
    names = [name for name, _ in columns]
    repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if repeated is not None:
        return InvalidNameError(
            f"{obj}: column {repeated!r} appears twice",
            obj=obj,
            column=str(repeated),
            expected="unique column names",
            received=names,
        )
    for name, values in columns:
        try:
            pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as column_exc:
            return SchemaError(
                f"{obj}: column {name!r} cannot be stored: its values need one type, with "
                f"integers within 64 bits ({column_exc})",
                obj=obj,
                column=str(name),
                expected="values of one type",
                received=str(column_exc),
            )
    return SchemaError(f"{obj}: the data cannot be converted: {exc}", obj=obj)


def _columns(data: Any) -> list[tuple[Any, Any]]:
    """(name, values) of each column of a pandas frame, a dict of columns or a list of dicts."""
    if type(data).__module__.split(".")[0] == "pandas":
        return [(name, data.iloc[:, i]) for i, name in enumerate(data.columns)]
    if isinstance(data, Mapping):
        return list(data.items())
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        names = list(dict.fromkeys(name for row in data for name in row))
        return [(name, [row.get(name) for row in data]) for name in names]
    return []


class Result:
    """A query result: one Arrow table, offered in the format the caller wants."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def to_arrow(self) -> pa.Table:
        return self._table

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self._table.to_pandas()
        return frame

    def to_polars(self) -> pl.DataFrame:
        try:
            import polars as pl
        except ModuleNotFoundError as exc:
            raise MissingDependencyError.for_extra("polars", "polars") from exc
        frame = pl.from_arrow(self._table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def to_pylist(self) -> list[dict[str, Any]]:
        return self._table.to_pylist()  # type: ignore[no-any-return]

    @property
    def num_rows(self) -> int:
        return int(self._table.num_rows)

    @property
    def columns(self) -> list[str]:
        return list(self._table.column_names)

    def __len__(self) -> int:
        return self.num_rows

    def __repr__(self) -> str:
        return f"Result({self.num_rows} rows, columns={self.columns})"
