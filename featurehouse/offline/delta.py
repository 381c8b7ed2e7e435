"""Delta Lake tables, one per feature group version, on local disk or object storage.

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

from featurehouse.errors import AlreadyExistsError, BackendError, ConflictError, NotFoundError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

T = TypeVar("T")
CHANGE_FEED = "delta.enableChangeDataFeed"
HISTORY_ATTEMPTS = 20
# Delta keeps timestamp statistics truncated to the millisecond; delta-rs widens a file's
# maximum by that millisecond, but not always from 2**57 µs after 1970 on (October 6536,
# measured with deltalake 1.6): there a time bound can skip a file that holds the time.
IMPRECISE_STATISTICS_FROM = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=2**57)


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


class DeltaOfflineStore:
    def __init__(self, root: str, storage_options: dict[str, str] | None = None) -> None:
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

    def open(self, table_id: str, as_of: int | datetime | None = None) -> DeltaTable:
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
        return table

    def dataset(self, table: DeltaTable) -> ds.Dataset:
        """The table's files as an Arrow dataset, each file with the bounds of its
        timestamp columns, so that a filtered scan skips files outside its range.

        deltalake derives such bounds from Delta's statistics, which keep timestamps to
        the millisecond; for some times (sub-millisecond, after the year 6536) its upper
        bound falls below the file's true maximum and a filtered scan misses rows. The
        bounds here are widened to the whole millisecond.
        """
        import pyarrow.dataset as ds

        dataset = table.to_pyarrow_dataset()
        bounds = _timestamp_bounds(table, dataset.schema)
        fragments = [
            dataset.format.make_fragment(
                f.path, filesystem=dataset.filesystem, partition_expression=bounds.get(f.path)
            )
            for f in dataset.get_fragments()
        ]
        return ds.FileSystemDataset(fragments, dataset.schema, dataset.format, dataset.filesystem)

    def retyped_columns(
        self, table: DeltaTable, schema: pa.Schema
    ) -> list[tuple[str, pa.DataType, pa.DataType]]:
        """Columns of ``schema`` that ``table`` holds with another type, as (name, stored
        type, given type): a merge of schemas would cast one into the other."""
        import pyarrow as pa
        from deltalake import Schema

        stored = {f.name: f.type for f in table.schema().fields}
        arrow = pa.schema(table.schema().to_arrow())
        return [
            (f.name, arrow.field(f.name).type, schema.field(f.name).type)
            for f in Schema.from_arrow(schema).fields
            if f.name in stored and stored[f.name] != f.type
        ]

    def append(self, table: DeltaTable, data: pa.Table, metadata: dict[str, Any]) -> int:
        """Append rows in one commit (growing the schema if ``data`` has new columns)."""
        from deltalake import write_deltalake

        self._commit(
            table,
            metadata,
            lambda props: write_deltalake(
                table, data, mode="append", schema_mode="merge", commit_properties=props
            ),
        )
        return table.version()

    def upsert(
        self,
        table: DeltaTable,
        data: pa.Table,
        match_columns: list[str],
        metadata: dict[str, Any],
        prune: dict[str, tuple[Any, Any]],
    ) -> tuple[int, dict[str, Any]]:
        """Merge ``data`` on ``match_columns``: matches are replaced, the rest inserted.

        ``prune`` gives, per column, the (min, max) of ``data``; the bounds go into
        the merge predicate so that Delta skips files whose statistics lie outside
        them, and only files that can hold a match are rewritten (except for times from
        ``IMPRECISE_STATISTICS_FROM`` on).
        """
        predicate = _match(match_columns)
        for column, (low, high) in prune.items():
            if isinstance(high, datetime) and high >= IMPRECISE_STATISTICS_FROM:
                continue  # the bounds would make delta-rs skip the file holding a match
            column = f"t.{_quote(column)}"
            predicate += f" AND {column} >= {_literal(low)} AND {column} <= {_literal(high)}"
        metrics = self._commit(
            table,
            metadata,
            lambda props: (
                table.merge(data, predicate, "s", "t", merge_schema=True, commit_properties=props)
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            ),
        )
        return table.version(), metrics

    def delete_matching(
        self, table: DeltaTable, keys: pa.Table, metadata: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Delete every row whose ``keys.column_names`` values equal a row of ``keys``."""
        metrics = self._commit(
            table,
            metadata,
            lambda props: (
                table.merge(keys, _match(keys.column_names), "s", "t", commit_properties=props)
                .when_matched_delete()
                .execute()
            ),
        )
        return table.version(), metrics

    def delete_where(
        self, table: DeltaTable, predicate: str, metadata: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Delete the rows matching a SQL ``predicate``."""
        metrics = self._commit(
            table, metadata, lambda props: table.delete(predicate, commit_properties=props)
        )
        return table.version(), metrics

    def _commit(self, table: DeltaTable, metadata: dict[str, Any], run: Callable[[Any], T]) -> T:
        """Run one committing operation on ``table``, with ``metadata`` in its commit.

        Delta's own commit retries are off: a conflict must reach the writer, which
        re-checks its batch against the new table state before trying again. So a commit
        lands right after the version it read, and afterwards ``table`` is at that
        commit's version (or still at the one it read, if the operation changed nothing).
        """
        from deltalake import CommitProperties

        properties = CommitProperties(custom_metadata=metadata, max_commit_retries=0)
        try:
            return run(properties)
        except Exception as exc:
            raise _translate(table.table_uri, exc) from exc

    def add_columns(self, table_id: str, fields: list[pa.Field]) -> None:
        """Grow a table's schema by nullable columns (no data is rewritten)."""
        import pyarrow as pa
        from deltalake import Schema

        table = self.open(table_id)
        present = set(table.schema().to_arrow().names)
        new = [f for f in fields if f.name not in present]
        if new:
            delta_fields = Schema.from_arrow(pa.schema(new)).fields
            self._commit(
                table,
                {"fh.operation": "add columns"},
                lambda props: table.alter.add_columns(delta_fields, commit_properties=props),
            )

    def enable_change_feed(self, table_id: str) -> None:
        """Record the rows each later commit changes (a group that becomes online needs it)."""
        table = self.open(table_id)
        if table.metadata().configuration.get(CHANGE_FEED) != "true":
            self._commit(
                table,
                {"fh.operation": "enable change feed"},
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

    def history(self, table: DeltaTable, limit: int | None = None) -> list[dict[str, Any]]:
        """Commits, newest first, as Delta records them; ``table`` is brought up to the
        newest version.

        deltalake lists every commit in storage but numbers them down from the version
        ``table`` has loaded, so a commit that lands in between shifts every number. The
        listing is taken again until no commit landed around it.
        """
        for _ in range(HISTORY_ATTEMPTS):
            table.update_incremental()
            seen = table.version()
            commits = table.history(limit)
            table.update_incremental()
            if table.version() == seen:
                return commits
        raise ConflictError(
            f"{table.table_uri}: history kept changing while it was read", obj=table.table_uri
        )

    def changes(self, table: DeltaTable, start: int, end: int) -> pa.Table:
        """Rows changed by versions ``start..end`` (inclusive), with ``_change_type``."""
        import pyarrow as pa

        reader = table.load_cdf(starting_version=start, ending_version=end)
        return pa.table(reader.read_all())


def _timestamp_bounds(table: DeltaTable, schema: pa.Schema) -> dict[str, ds.Expression]:
    """Per file, what Delta's statistics say of its timestamp columns: each value within
    [min, max + 1 ms) (the statistics are truncated to milliseconds), or null."""
    import pyarrow as pa
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
