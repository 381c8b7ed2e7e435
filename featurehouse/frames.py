"""Data in and out: pandas, polars, Arrow and lists of dicts become Arrow tables; results
offer ``to_arrow``, ``to_pandas`` and ``to_polars``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from featurehouse.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa


def to_arrow(obj: str, data: Any) -> pa.Table:
    """Convert a pandas or polars DataFrame, an Arrow table or batch, or a list of dicts."""
    import pyarrow as pa

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
        import polars as pl

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
