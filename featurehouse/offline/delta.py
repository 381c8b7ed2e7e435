"""The offline store on Delta Lake: one Delta table per table id, on local disk (object
storage later).

Every commit carries ``fh.*`` metadata (the operation), so history can be read
back from Delta itself, which is the source of truth. The change data feed of an
online group's table lets the online store replay commits it missed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.errors import AlreadyExistsError, BackendError, ConflictError, NotFoundError
from featurehouse.offline.base import Commit, OfflineTable, Written

if TYPE_CHECKING:
    import pyarrow.dataset as ds
    from deltalake import DeltaTable
    from pyarrow import fs as pa_fs

T = TypeVar("T")
CHANGE_FEED = "delta.enableChangeDataFeed"
HISTORY_ATTEMPTS = 20
# Delta keeps timestamp statistics truncated to the millisecond; delta-rs widens a file's
# maximum by that millisecond, but not always from 2**56 µs after 1970 on (May 4253,
# measured with deltalake 1.6.6; the offline contract suite found it): there a time bound
# can skip a file that holds the time.
IMPRECISE_STATISTICS_FROM = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=2**56)
STATS_PRECISION_US = 1000  # Delta keeps timestamp file statistics in milliseconds
OPERATION = "fh.operation"  # the commit metadata naming what a commit did


def _quote(name: str) -> str:
    return f"`{name}`"


def _translate(obj: str, exc: Exception) -> Exception:
    """Delta errors become featurehouse errors; a lost commit race is retryable."""
    from deltalake.exceptions import CommitFailedError, TableNotFoundError

    if isinstance(exc, CommitFailedError):
        return ConflictError(f"{obj}: a concurrent commit won ({exc})", obj=obj)
    if isinstance(exc, TableNotFoundError):
        return NotFoundError(f"{obj}: no offline table ({exc})", obj=obj)
    return BackendError(f"{obj}: offline store failed: {exc}", obj=obj)


class DeltaOfflineTable:
    """An open Delta table: the ``OfflineTable`` of this store."""

    def __init__(self, delta: DeltaTable) -> None:
        self.delta = delta

    def version(self) -> int:
        return int(self.delta.version())

    def schema(self) -> pa.Schema:
        return pa.schema(self.delta.schema().to_arrow())


def _delta(table: OfflineTable) -> DeltaTable:
    if not isinstance(table, DeltaOfflineTable):
        raise TypeError(f"a Delta offline store cannot use {type(table).__name__}")
    return table.delta


class DeltaOfflineStore:
    """Delta tables under ``root``: a directory, as a plain path or a ``file://`` URI."""

    def __init__(self, root: str, storage_options: dict[str, str] | None = None) -> None:
        if root.startswith("file://"):
            root = url2pathname(urlparse(root).path)
        self._root = root
        self._storage_options = storage_options

    def uri(self, table_id: str) -> str:
        if "://" in self._root:
            return f"{self._root.rstrip('/')}/{table_id}"
        return str(Path(self._root) / table_id)

    def create(self, table_id: str, schema: pa.Schema, change_feed: bool) -> None:
        """Create an empty table; a table that exists already is left as it is.

        ``change_feed`` records the rows each commit changed, for replaying commits into
        the online store; it roughly doubles the cost of a merge, so only online groups
        turn it on.
        """
        from deltalake import DeltaTable

        if DeltaTable.is_deltatable(self.uri(table_id), self._storage_options):
            return
        try:
            DeltaTable.create(
                self.uri(table_id),
                schema=schema,
                mode="ignore",
                configuration={CHANGE_FEED: "true"} if change_feed else None,
                storage_options=self._storage_options,
            )
        except Exception as exc:
            if not DeltaTable.is_deltatable(self.uri(table_id), self._storage_options):
                raise _translate(table_id, exc) from exc

    def write_new(self, table_id: str, data: pa.Table) -> None:
        """Write ``data`` as a new, immutable table. Of writers racing for one ``table_id``
        exactly one succeeds; an existing table is an AlreadyExistsError."""
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        uri = self.uri(table_id)
        try:
            write_deltalake(
                uri,
                data,
                mode="error",
                # Retrying would commit a racing writer's rows as the next version.
                commit_properties=CommitProperties(max_commit_retries=0),
                storage_options=self._storage_options,
            )
        except Exception as exc:
            if DeltaTable.is_deltatable(uri, self._storage_options):
                raise AlreadyExistsError(
                    f"{table_id}: the table exists already", obj=table_id
                ) from exc
            raise _translate(table_id, exc) from exc

    def open(self, table_id: str, as_of: int | datetime | None = None) -> DeltaOfflineTable:
        from deltalake import DeltaTable

        try:
            table = DeltaTable(self.uri(table_id), storage_options=self._storage_options)
            if as_of is not None:
                table.load_as_version(as_of)
        except Exception as exc:
            if isinstance(exc, ValueError | OSError) or "version" in str(exc).lower():
                raise NotFoundError(
                    f"{table_id}: no version as of {as_of!r} ({exc})", obj=table_id, received=as_of
                ) from exc
            raise _translate(table_id, exc) from exc
        return DeltaOfflineTable(table)

    def dataset(self, table: OfflineTable) -> ds.Dataset:
        """The table's files as an Arrow dataset, each file with the bounds of its
        timestamp columns, so that a filtered scan skips files outside its range.

        deltalake derives such bounds from Delta's statistics, which keep timestamps to
        the millisecond; for some times (sub-millisecond, from IMPRECISE_STATISTICS_FROM
        on) its upper bound falls below the file's true maximum and a filtered scan misses
        rows. The bounds here are widened to the whole millisecond.
        """
        import pyarrow.dataset as ds

        delta = _delta(table)
        dataset = delta.to_pyarrow_dataset(filesystem=self._native_filesystem(delta))
        bounds = _timestamp_bounds(delta, dataset.schema)
        fragments = [
            dataset.format.make_fragment(
                f.path, filesystem=dataset.filesystem, partition_expression=bounds.get(f.path)
            )
            for f in dataset.get_fragments()
        ]
        return ds.FileSystemDataset(fragments, dataset.schema, dataset.format, dataset.filesystem)

    def _native_filesystem(self, delta: DeltaTable) -> pa_fs.FileSystem | None:
        """For a local table, Arrow's own filesystem at the table's root: scans then read
        outside Python, in parallel (deltalake's default filesystem reads through Python,
        under its lock); None elsewhere (deltalake's default)."""
        if "://" in self._root:
            return None
        from pyarrow import fs

        root = url2pathname(urlparse(delta.table_uri).path)
        return fs.SubTreeFileSystem(root, fs.LocalFileSystem())

    def retyped_columns(
        self, table: OfflineTable, schema: pa.Schema
    ) -> list[tuple[str, pa.DataType, pa.DataType]]:
        """Compared as Delta types, which a merge of schemas would cast into each other."""
        from deltalake import Schema

        stored = {f.name: f.type for f in _delta(table).schema().fields}
        arrow = table.schema()
        return [
            (f.name, arrow.field(f.name).type, schema.field(f.name).type)
            for f in Schema.from_arrow(schema).fields
            if f.name in stored and stored[f.name] != f.type
        ]

    def can_append(self, table: OfflineTable, batch: pa.Table, time_column: str) -> bool:
        """Decided from the files' statistics of ``time_column``."""
        actions = pa.table(_delta(table).get_add_actions(flatten=True))
        if actions.num_rows == 0:
            return True
        stat = f"max.{time_column}"
        if stat not in actions.schema.names:
            return False
        stored_max = pc.max(actions.column(stat))
        batch_min = pc.min(batch.column(time_column))
        # Delta truncates timestamp statistics to milliseconds: the true maximum may lie
        # up to a millisecond above the recorded one.
        return bool(
            stored_max.is_valid
            and batch_min.is_valid
            and _micros(batch_min) >= _micros(stored_max) + STATS_PRECISION_US
        )

    def append(self, table: OfflineTable, data: pa.Table, operation: str) -> int:
        from deltalake import write_deltalake

        delta = _delta(table)
        self._commit(
            delta,
            operation,
            lambda props: write_deltalake(
                delta, data, mode="append", schema_mode="merge", commit_properties=props
            ),
        )
        return delta.version()

    def upsert(
        self,
        table: OfflineTable,
        data: pa.Table,
        match_columns: list[str],
        time_column: str,
        operation: str,
    ) -> Written:
        """A merge whose predicate also bounds ``time_column`` by ``data``'s (min, max), so
        that Delta skips files whose statistics lie outside them and rewrites only files
        that can hold a match (except for times from ``IMPRECISE_STATISTICS_FROM`` on)."""
        delta = _delta(table)
        predicate = _match(match_columns)
        low, high = (v.as_py() for v in pc.min_max(data.column(time_column)).values())
        # Past IMPRECISE_STATISTICS_FROM, bounds would make delta-rs skip the file holding
        # a match.
        if high is not None and not (
            isinstance(high, datetime) and high >= IMPRECISE_STATISTICS_FROM
        ):
            column = f"t.{_quote(time_column)}"
            predicate += f" AND {column} >= {_literal(low)} AND {column} <= {_literal(high)}"
        metrics = self._commit(
            delta,
            operation,
            lambda props: (
                delta.merge(data, predicate, "s", "t", merge_schema=True, commit_properties=props)
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            ),
        )
        return Written(
            delta.version(),
            rows_inserted=int(metrics["num_target_rows_inserted"]),
            rows_updated=int(metrics["num_target_rows_updated"]),
        )

    def delete_matching(self, table: OfflineTable, keys: pa.Table, operation: str) -> Written:
        delta = _delta(table)
        metrics = self._commit(
            delta,
            operation,
            lambda props: (
                delta.merge(keys, _match(keys.column_names), "s", "t", commit_properties=props)
                .when_matched_delete()
                .execute()
            ),
        )
        return Written(delta.version(), rows_deleted=int(metrics["num_target_rows_deleted"]))

    def delete_where(self, table: OfflineTable, predicate: str, operation: str) -> Written:
        delta = _delta(table)
        metrics = self._commit(
            delta, operation, lambda props: delta.delete(predicate, commit_properties=props)
        )
        return Written(delta.version(), rows_deleted=int(metrics["num_deleted_rows"]))

    def _commit(self, table: DeltaTable, operation: str, run: Callable[[Any], T]) -> T:
        """Run one committing operation on ``table``, named ``operation`` in its commit.

        Delta's own commit retries are off: a conflict must reach the writer, which
        re-checks its batch against the new table state before trying again. So a commit
        lands right after the version it read, and afterwards ``table`` is at that
        commit's version (or still at the one it read, if the operation changed nothing).
        """
        from deltalake import CommitProperties

        properties = CommitProperties(custom_metadata={OPERATION: operation}, max_commit_retries=0)
        try:
            return run(properties)
        except Exception as exc:
            raise _translate(table.table_uri, exc) from exc

    def add_columns(self, table_id: str, fields: list[pa.Field]) -> None:
        """Grow a table's schema by nullable columns (no data is rewritten)."""
        from deltalake import Schema

        table = self.open(table_id)
        present = set(table.schema().names)
        new = [f for f in fields if f.name not in present]
        if new:
            delta, delta_fields = table.delta, Schema.from_arrow(pa.schema(new)).fields
            self._commit(
                delta,
                "add columns",
                lambda props: delta.alter.add_columns(delta_fields, commit_properties=props),
            )

    def enable_change_feed(self, table_id: str) -> None:
        """Record the rows each later commit changes (a group that becomes online needs it)."""
        table = self.open(table_id).delta
        if table.metadata().configuration.get(CHANGE_FEED) != "true":
            self._commit(
                table,
                "enable change feed",
                lambda props: table.alter.set_table_properties(
                    {CHANGE_FEED: "true"}, commit_properties=props
                ),
            )

    def drop(self, table_id: str) -> None:
        """Delete a table and its files (local storage only, for now)."""
        if "://" in self._root:
            raise BackendError(
                f"{table_id}: dropping tables on object storage is not supported yet",
                obj=table_id,
            )
        shutil.rmtree(self.uri(table_id), ignore_errors=True)

    def history(self, table: OfflineTable, limit: int | None = None) -> list[Commit]:
        """deltalake lists every commit in storage but numbers them down from the version
        ``table`` has loaded, so a commit that lands in between shifts every number. The
        listing is taken again until no commit landed around it.
        """
        delta = _delta(table)
        for _ in range(HISTORY_ATTEMPTS):
            delta.update_incremental()
            seen = delta.version()
            records = delta.history(limit)
            delta.update_incremental()
            if delta.version() == seen:
                return [_commit_of(r) for r in records]
        raise ConflictError(
            f"{delta.table_uri}: history kept changing while it was read", obj=delta.table_uri
        )

    def changes(self, table: OfflineTable, start: int, end: int) -> pa.Table:
        """Delta's change data feed, whose columns are the protocol's CHANGE_COLUMNS."""
        reader = _delta(table).load_cdf(starting_version=start, ending_version=end)
        return pa.table(reader.read_all())


def _commit_of(record: dict[str, Any]) -> Commit:
    """A commit as Delta's log records it: metrics by operation, the time in milliseconds."""
    metrics = record.get("operationMetrics", {})
    operation = record.get(OPERATION) or str(record.get("operation", "")).lower()
    return Commit(
        version=int(record["version"]),
        timestamp=datetime.fromtimestamp(record["timestamp"] / 1000, tz=UTC),
        operation=operation,
        rows_inserted=int(
            metrics.get("num_added_rows", metrics.get("num_target_rows_inserted", 0))
        ),
        rows_updated=int(metrics.get("num_target_rows_updated", 0)),
        rows_deleted=int(
            metrics.get("num_deleted_rows", metrics.get("num_target_rows_deleted", 0))
        ),
    )


def _micros(scalar: pa.Scalar) -> int:
    """A timestamp as microseconds since the epoch (an int cannot overflow where a
    datetime near the year 9999 would)."""
    return int(scalar.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).as_py())


def _timestamp_bounds(table: DeltaTable, schema: pa.Schema) -> dict[str, ds.Expression]:
    """Per file, what Delta's statistics say of its timestamp columns: each value within
    [min, max + 1 ms) (the statistics are truncated to milliseconds), or null."""
    import pyarrow.dataset as ds

    actions = pa.table(table.get_add_actions(flatten=True))
    bounds: dict[str, ds.Expression] = {}
    for field in schema:
        if not pa.types.is_timestamp(field.type) or f"max.{field.name}" not in actions.schema.names:
            continue
        lows, highs = (
            actions.column(f"{bound}.{field.name}").cast(field.type).cast(pa.int64()).to_pylist()
            for bound in ("min", "max")
        )
        nulls = actions.column(f"null_count.{field.name}").to_pylist()
        paths = actions.column("path").to_pylist()
        column = ds.field(field.name)
        for path, low, high, null_count in zip(paths, lows, highs, nulls, strict=True):
            if low is None or high is None:
                continue
            within = (column >= pa.scalar(low, field.type)) & (
                column < pa.scalar(high + 1000, field.type)
            )
            if null_count != 0:
                within = within | column.is_null()
            bounds[path] = within if path not in bounds else bounds[path] & within
    return bounds


def _match(columns: list[str]) -> str:
    """A merge predicate: target ``t`` and source ``s`` agree on ``columns``."""
    return " AND ".join(f"t.{_quote(c)} = s.{_quote(c)}" for c in columns)


def _literal(value: Any) -> str:
    """A SQL literal for a merge predicate bound."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


if TYPE_CHECKING:  # mypy checks that this store keeps the protocol
    from featurehouse.offline.base import OfflineStore

    _PROTOCOL: type[OfflineStore] = DeltaOfflineStore
