"""The DuckDB engine: Arrow datasets scanned in place (filters pushed down), no copies."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurehouse.engine.base import AsOfSource

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds

ROW = "_fh_row"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _output_schema(spine: pa.Table, sources: Sequence[AsOfSource]) -> pa.Schema:
    import pyarrow as pa

    fields = list(spine.schema)
    for source in sources:
        fields += [pa.field(out, source.dataset.schema.field(c).type) for c, out in source.columns]
    return pa.schema(fields)


def _columns(names: Sequence[str]) -> str:
    return ", ".join(_quote(c) for c in names)


class DuckDBEngine:
    """One in-process DuckDB database; ``memory_limit`` bounds its memory (it spills past it)."""

    def __init__(self, memory_limit: str | None = None, temp_directory: str | None = None) -> None:
        import duckdb

        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._db = duckdb.connect(config=config)
        self._lock = threading.Lock()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    def scan(
        self,
        dataset: ds.Dataset,
        columns: Sequence[str] | None = None,
        time_column: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        where: str | None = None,
    ) -> pa.Table:
        conditions, params = [], []
        if time_column and start is not None:
            conditions.append(f"{_quote(time_column)} >= ?")
            params.append(start)
        if time_column and end is not None:
            conditions.append(f"{_quote(time_column)} < ?")
            params.append(end)
        if where:
            conditions.append(f"({where})")
        select = _columns(columns) if columns else "*"
        sql = f"SELECT {select} FROM source"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        cursor = self._cursor()
        cursor.register("source", dataset)
        try:
            return cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.close()

    def last_per_group(
        self, batch: pa.Table, group: Sequence[str], order: str | None = None
    ) -> pa.Table:
        import pyarrow as pa

        if batch.num_rows == 0:
            return batch
        import numpy as np

        if self._distinct(batch, group) == batch.num_rows:
            return batch  # the common case: no duplicates, nothing to copy
        indexed = batch.append_column(ROW, pa.array(np.arange(batch.num_rows, dtype=np.int64)))
        ordering = f"{_quote(order)} DESC, {ROW} DESC" if order else f"{ROW} DESC"
        sql = (
            f"SELECT * FROM batch QUALIFY row_number() OVER "
            f"(PARTITION BY {_columns(group)} ORDER BY {ordering}) = 1 ORDER BY {ROW}"
        )
        cursor = self._cursor()
        cursor.register("batch", indexed)
        try:
            result = cursor.sql(sql).to_arrow_table()
        finally:
            cursor.close()
        return result.drop_columns([ROW]).cast(batch.schema)

    def _distinct(self, batch: pa.Table, group: Sequence[str]) -> int:
        """How many distinct ``group`` values ``batch`` holds (DuckDB's parallel hash)."""
        cursor = self._cursor()
        cursor.register("batch", batch.select(list(group)))
        try:
            row = cursor.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM batch)").fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0

    def count_matches(
        self, dataset: ds.Dataset, batch: pa.Table, columns: Sequence[str], time_column: str
    ) -> int:
        import pyarrow.compute as pc

        low, high = pc.min_max(batch.column(time_column)).values()
        on = " AND ".join(f"t.{_quote(c)} = b.{_quote(c)}" for c in columns)
        # The time bounds let the scan skip files and row groups outside the batch.
        sql = (
            f"SELECT count(*) FROM batch b JOIN (SELECT {_columns(columns)} FROM target "
            f"WHERE {_quote(time_column)} >= ? AND {_quote(time_column)} <= ?) t ON {on}"
        )
        cursor = self._cursor()
        cursor.register("target", dataset)
        cursor.register("batch", batch.select(list(columns)))
        try:
            row = cursor.execute(sql, [low.as_py(), high.as_py()]).fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0

    def latest_rows(self, dataset: ds.Dataset, keys: pa.Table, time_column: str) -> pa.Table:
        key_columns = keys.column_names
        on = " AND ".join(f"t.{_quote(c)} = k.{_quote(c)}" for c in key_columns)
        partition = ", ".join(f"t.{_quote(c)}" for c in key_columns)
        sql = (
            f"SELECT t.* FROM target t SEMI JOIN keys k ON {on} QUALIFY row_number() OVER "
            f"(PARTITION BY {partition} ORDER BY t.{_quote(time_column)} DESC) = 1"
        )
        cursor = self._cursor()
        cursor.register("target", dataset)
        cursor.register("keys", keys)
        try:
            return cursor.sql(sql).to_arrow_table()
        finally:
            cursor.close()

    def as_of_join(
        self, spine: pa.Table, event_time: str, sources: Sequence[AsOfSource]
    ) -> pa.Table:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        schema = _output_schema(spine, sources)
        if spine.num_rows == 0 or not sources:
            return pa.Table.from_arrays(
                [
                    *spine.columns,
                    *(pa.nulls(spine.num_rows, f.type) for f in list(schema)[spine.num_columns :]),
                ],
                schema=schema,
            )
        latest = pc.max(spine.column(event_time)).as_py()
        earliest = pc.min(spine.column(event_time)).as_py()
        rows = np.arange(spine.num_rows, dtype=np.int64)
        result = spine
        # One narrow join per group (row number, its join columns, the time), its columns
        # put back in spine order: far less memory than carrying every column through.
        for source in sources:
            left = pa.table(
                {
                    ROW: rows,
                    f"{ROW}t": spine.column(event_time),
                    **{f"{ROW}l{j}": result.column(c) for j, c in enumerate(source.left_on)},
                }
            )
            joined = self._as_of_one(left, source, latest, earliest)
            inverse = np.empty(spine.num_rows, dtype=np.int64)
            inverse[joined.column(ROW).to_numpy()] = rows
            order = pa.array(inverse)
            for _, out in source.columns:
                result = result.append_column(out, joined.column(out).take(order))
        return result.cast(schema)

    def _as_of_one(
        self, left: pa.Table, source: AsOfSource, latest: datetime, earliest: datetime
    ) -> pa.Table:
        """``left``'s row numbers with ``source``'s columns as of each row's time."""
        time = _quote(source.event_time)
        keys = [f"{_quote(k)} AS {_quote(f'{ROW}k{j}')}" for j, k in enumerate(source.keys)]
        picked = [f"{_quote(c)} AS {_quote(out)}" for c, out in source.columns]
        # Only rows some spine row can see: pushed down into the dataset scan.
        where, params = f"{time} <= ?", [latest]
        if source.ttl is not None:
            where += f" AND {time} >= ?"
            params.append(earliest - source.ttl)
        outputs = [f"s.{_quote(out)}" for _, out in source.columns]
        if source.ttl is not None:  # the matched row counts only if it is recent enough
            micros = source.ttl // timedelta(microseconds=1)
            fresh = f"s.{ROW}t >= l.{ROW}t - to_microseconds({micros})"
            outputs = [
                f"CASE WHEN {fresh} THEN {value} END AS {_quote(out)}"
                for value, (_, out) in zip(outputs, source.columns, strict=True)
            ]
        on = " AND ".join(
            f"l.{ROW}l{j} = s.{_quote(f'{ROW}k{j}')}" for j in range(len(source.keys))
        )
        sql = (
            f"WITH s AS (SELECT {', '.join([*keys, f'{time} AS {ROW}t', *picked])} FROM source "
            f"WHERE {where}) SELECT {', '.join([f'l.{ROW}', *outputs])} FROM left_rows l "
            f"ASOF LEFT JOIN s ON {on} AND l.{ROW}t >= s.{ROW}t"
        )
        cursor = self._cursor()
        cursor.register("left_rows", left)
        cursor.register("source", source.dataset)
        try:
            return cursor.sql(sql, params=params).to_arrow_table()
        finally:
            cursor.close()

    def close(self) -> None:
        self._db.close()
