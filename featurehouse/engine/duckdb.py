"""The DuckDB engine: Arrow datasets scanned in place (filters pushed down), no copies."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.engine import duckdb_sql
from featurehouse.engine.base import AsOfSource
from featurehouse.engine.duckdb_sql import ROW, column_list, quote
from featurehouse.engine.statistics import (
    ColumnNumbers,
    TableStatistics,
    column_kind,
    describe,
    sample_index,
)
from featurehouse.errors import SchemaError

if TYPE_CHECKING:
    import duckdb
    import pyarrow.dataset as ds


def _output_schema(spine: pa.Table, sources: Sequence[AsOfSource]) -> pa.Schema:
    fields = list(spine.schema)
    for source in sources:
        fields += [pa.field(out, source.dataset.schema.field(c).type) for c, out in source.columns]
    return pa.schema(fields)


class DuckDBEngine:
    """One in-process DuckDB database; ``memory_limit`` bounds its memory (it spills past it)."""

    def __init__(
        self,
        uri: str = "duckdb://",
        memory_limit: str | None = None,
        temp_directory: str | None = None,
    ) -> None:
        if uri not in ("duckdb://", "duckdb:", "duckdb"):
            raise SchemaError(
                f"setting engine: the DuckDB engine runs in memory and takes no path or "
                f"options; expected 'duckdb://', received {uri!r}",
                obj="engine",
                expected="duckdb://",
                received=uri,
            )
        import duckdb

        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._db = duckdb.connect(config=config)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _cursor(self, **tables: pa.Table | ds.Dataset) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own (so that threads can query at once) that sees ``tables``
        under their names; closed, and the names gone, on leaving."""
        with self._lock:
            cursor = self._db.cursor()
        try:
            for name, table in tables.items():
                cursor.register(name, table)
            yield cursor
        finally:
            cursor.close()

    def scan(
        self,
        dataset: ds.Dataset,
        columns: Sequence[str] | None = None,
        time_column: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pa.Table:
        conditions, params = [], []
        if time_column and start is not None:
            conditions.append(f"{quote(time_column)} >= ?")
            params.append(start)
        if time_column and end is not None:
            conditions.append(f"{quote(time_column)} < ?")
            params.append(end)
        select = column_list(columns) if columns else "*"
        sql = f"SELECT {select} FROM source"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        with self._cursor(source=dataset) as cursor:
            return cursor.sql(sql, params=params).to_arrow_table()

    def last_per_group(
        self, batch: pa.Table, group: Sequence[str], order: str | None = None
    ) -> pa.Table:
        if batch.num_rows == 0:
            return batch
        import numpy as np

        if self._distinct(batch, group) == batch.num_rows:
            return batch  # the common case: no duplicates, nothing to copy
        indexed = batch.append_column(ROW, pa.array(np.arange(batch.num_rows, dtype=np.int64)))
        ordering = f"{quote(order)} DESC, {ROW} DESC" if order else f"{ROW} DESC"
        sql = (
            f"SELECT * FROM batch QUALIFY row_number() OVER "
            f"(PARTITION BY {column_list(group)} ORDER BY {ordering}) = 1 ORDER BY {ROW}"
        )
        with self._cursor(batch=indexed) as cursor:
            result = cursor.sql(sql).to_arrow_table()
        return result.drop_columns([ROW]).cast(batch.schema)

    def _distinct(self, batch: pa.Table, group: Sequence[str]) -> int:
        """How many distinct ``group`` values ``batch`` holds (DuckDB's parallel hash)."""
        with self._cursor(batch=batch.select(list(group))) as cursor:
            row = cursor.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM batch)").fetchone()
        return int(row[0]) if row else 0

    def count_matches(
        self, dataset: ds.Dataset, batch: pa.Table, columns: Sequence[str], time_column: str
    ) -> int:
        low, high = pc.min_max(batch.column(time_column)).values()
        on = " AND ".join(f"t.{quote(c)} = b.{quote(c)}" for c in columns)
        # The time bounds let the scan skip files and row groups outside the batch.
        sql = (
            f"SELECT count(*) FROM batch b SEMI JOIN (SELECT {column_list(columns)} FROM target "
            f"WHERE {quote(time_column)} >= ? AND {quote(time_column)} <= ?) t ON {on}"
        )
        with self._cursor(target=dataset, batch=batch.select(list(columns))) as cursor:
            row = cursor.execute(sql, [low.as_py(), high.as_py()]).fetchone()
        return int(row[0]) if row else 0

    def latest_rows(self, dataset: ds.Dataset, keys: pa.Table, time_column: str) -> pa.Table:
        key_columns = keys.column_names
        on = " AND ".join(f"t.{quote(c)} = k.{quote(c)}" for c in key_columns)
        partition = ", ".join(f"t.{quote(c)}" for c in key_columns)
        sql = (
            f"SELECT t.* FROM target t SEMI JOIN keys k ON {on} QUALIFY row_number() OVER "
            f"(PARTITION BY {partition} ORDER BY t.{quote(time_column)} DESC) = 1"
        )
        with self._cursor(target=dataset, keys=keys) as cursor:
            return cursor.sql(sql).to_arrow_table()

    def as_of_join(
        self, spine: pa.Table, event_time: str, sources: Sequence[AsOfSource]
    ) -> pa.Table:
        import duckdb
        import numpy as np

        schema = _output_schema(spine, sources)
        if spine.num_rows == 0 or not sources:
            return pa.Table.from_arrays(
                [
                    *spine.columns,
                    *(pa.nulls(spine.num_rows, f.type) for f in list(schema)[spine.num_columns :]),
                ],
                schema=schema,
            )
        # DuckDB scans only the spine columns the joins use; the others stay as they are.
        left = spine.append_column(ROW, pa.array(np.arange(spine.num_rows, dtype=np.int64)))
        files = [_parquet_files(source.dataset) for source in sources]
        try:
            joined = self._as_of_query(left, event_time, sources, files)
        except duckdb.BinderException:
            if all(f is None for f in files):
                raise
            # A column none of a source's files holds yet (added since): the dataset
            # fills it with nulls.
            joined = self._as_of_query(left, event_time, sources, [None] * len(sources))
        columns = [*spine.columns, *joined.columns]
        return pa.Table.from_arrays(
            [
                c if c.type == f.type else c.cast(f.type)
                for c, f in zip(columns, schema, strict=True)
            ],
            schema=schema,
        )

    def _as_of_query(
        self,
        left: pa.Table,
        event_time: str,
        sources: Sequence[AsOfSource],
        files: Sequence[list[str] | None],
    ) -> pa.Table:
        """The sources' columns, as of each ``left`` row, in its order: a source with
        ``files`` is read from them, the others from their datasets."""
        times = left.column(event_time)
        latest, earliest = pc.max(times).as_py(), pc.min(times).as_py()
        params: list[Any] = []
        datasets: dict[str, pa.Table | ds.Dataset] = {duckdb_sql.LEFT: left}
        relations = []
        for index, (source, paths) in enumerate(zip(sources, files, strict=True)):
            if paths is None:
                relations.append(duckdb_sql.source_name(index))
                datasets[relations[-1]] = source.dataset
            else:
                relations.append(duckdb_sql.PARQUET_FILES)
                params.append(paths)
            params.append(latest)
            if source.ttl is not None:
                params.append(_before(earliest, source.ttl))
        sql = duckdb_sql.as_of_join_sql(event_time, sources, relations)
        with self._cursor(**datasets) as cursor:
            return cursor.sql(sql, params=params).to_arrow_table()

    def statistics(
        self, data: pa.Table | ds.Dataset, columns: Sequence[str] | None = None
    ) -> TableStatistics:
        """Two queries: one reads every row (counts, bounds, moments), one the sample."""
        schema = data.schema
        names = list(columns) if columns is not None else list(schema.names)
        rows = data.num_rows if hasattr(data, "num_rows") else data.count_rows()
        index = sample_index(rows)
        sample = data if index is None else data.take(index)
        finite = _finite_columns(data, names) if isinstance(data, pa.Table) else set()
        with self._cursor(t=data, s=sample) as cursor:
            moments = duckdb_sql.moments_sql(schema, names, index is not None, finite)
            result = _fetch(cursor, moments)
            result.update(
                _fetch(cursor, duckdb_sql.distribution_sql(schema, names, result, finite))
            )
        numbers = {
            name: _column_numbers(result, i, column_kind(schema.field(name).type))
            for i, name in enumerate(names)
        }
        sampled = None if index is None else int(result["sampled"])
        return describe(schema, int(result["rows"]), numbers, sampled)

    def close(self) -> None:
        self._db.close()


def _parquet_files(dataset: ds.Dataset) -> list[str] | None:
    """The paths of a dataset made of local Parquet files, which DuckDB reads faster and
    in less memory than through Arrow's scanner; None for any other dataset."""
    import pyarrow.dataset as ds
    from pyarrow import fs

    if not isinstance(dataset, ds.FileSystemDataset) or not dataset.files:
        return None
    if not isinstance(dataset.format, ds.ParquetFileFormat):
        return None
    filesystem, root = dataset.filesystem, ""
    if isinstance(filesystem, fs.SubTreeFileSystem):
        filesystem, root = filesystem.base_fs, filesystem.base_path
    if not isinstance(filesystem, fs.LocalFileSystem):
        return None
    return [root + path for path in dataset.files]


def _before(time: datetime, ttl: timedelta) -> datetime:
    """``time - ttl``, or the first time there is when that falls before the year 1."""
    try:
        return time - ttl
    except OverflowError:
        return datetime.min.replace(tzinfo=time.tzinfo)


def _finite_columns(table: pa.Table, names: Sequence[str]) -> set[str]:
    """The float columns of an in-memory table that hold no NaN or ±inf (the usual case):
    one Arrow pass each spares the query its per-value checks."""
    floats = [n for n in names if pa.types.is_floating(table.schema.field(n).type)]
    return {n for n in floats if pc.all(pc.is_finite(table.column(n))).as_py() is True}


def _fetch(cursor: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """The one row of ``sql``'s result, by column name."""
    result = cursor.execute(sql)
    row = result.fetchone()
    assert row is not None and result.description is not None
    return dict(zip([d[0] for d in result.description], row, strict=True))


def _column_numbers(result: dict[str, Any], i: int, kind: str) -> ColumnNumbers:
    """Column ``i``'s numbers out of the statistics queries' row (``<number>_<i>``)."""
    count = int(result[f"count_{i}"])
    if kind == "numeric":
        return ColumnNumbers(
            count=count,
            nans=int(result[f"nans_{i}"]),
            infinite=int(result[f"infinite_{i}"]),
            min=result[f"min_{i}"],
            max=result[f"max_{i}"],
            mean=result[f"mean_{i}"],
            stddev=result[f"stddev_{i}"],
            quantiles=result.get(f"quantiles_{i}"),  # none when every value is null
            histogram=result.get(f"histogram_{i}"),
        )
    if kind == "time":
        return ColumnNumbers(count=count, min=result[f"min_{i}"], max=result[f"max_{i}"])
    if kind == "categorical":
        cardinality = int(result[f"cardinality_{i}"])
        return ColumnNumbers(count=count, cardinality=cardinality, top=result[f"top_{i}"])
    return ColumnNumbers(count=count)
