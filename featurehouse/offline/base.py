"""The offline store protocol, and how a URI picks the backend.

The offline store keeps the whole history of each feature group version as one table
of numbered versions: creating the table is version 0 and every commit makes the next
one. Any version can be read back (time travel). A commit lands only right after the
version its table handle read: when another writer committed in between it fails with
a ``ConflictError``, and the writer checks its batch against the new state and tries
again, so no commit is lost and none is applied to a state it was not checked against.

Core code speaks only these types: table ids, ints for versions, Arrow schemas, tables
and datasets, and an opaque ``OfflineTable`` handle that a store opens and writes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from featurehouse.common.backends import open_backend

if TYPE_CHECKING:
    import pyarrow.dataset as ds

# The columns ``changes`` adds to each changed row: how it changed (one of CHANGE_TYPES),
# and the version and time of the commit that changed it.
CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
COMMIT_TIMESTAMP = "_commit_timestamp"
CHANGE_COLUMNS = (CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP)
CHANGE_TYPES = ("insert", "update_preimage", "update_postimage", "delete")


@dataclass(frozen=True)
class Written:
    """What one commit did: the version it made (the version its table read when it
    changed nothing) and how many rows it inserted, updated and deleted."""

    version: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0


@dataclass(frozen=True)
class Commit:
    """One offline commit of a feature group."""

    version: int
    timestamp: datetime
    operation: str
    rows_inserted: int
    rows_updated: int
    rows_deleted: int


class OfflineTable(Protocol):
    """An open table at one version. The store's writes through it move it to the
    version they commit; only the store that opened it can use it."""

    def version(self) -> int: ...

    def schema(self) -> pa.Schema:
        """The columns as the store keeps them (its Arrow types may differ from those
        written, e.g. string views)."""
        ...


class OfflineStore(Protocol):
    def create(self, table_id: str, schema: pa.Schema, change_feed: bool) -> None:
        """Create an empty table (version 0); a table that exists already is left as it is.

        ``change_feed`` keeps the rows each commit changes, for ``changes``; it costs
        writes, so only tables that need replaying (online groups) turn it on.
        """
        ...

    def write_new(self, table_id: str, data: pa.Table) -> None:
        """Write ``data`` as a new, immutable table. Of writers racing for one
        ``table_id`` exactly one succeeds; an existing table is an AlreadyExistsError."""
        ...

    def open(self, table_id: str, as_of: int | datetime | None = None) -> OfflineTable:
        """The table at its latest version, or at version ``as_of``, or as of a time (the
        last version committed at or before it; the first version, for a time before it).
        NotFoundError if there is no such table or version."""
        ...

    def dataset(self, table: OfflineTable) -> ds.Dataset:
        """The rows of ``table``'s version, for scanning (filters on time columns are
        exact, to the microsecond)."""
        ...

    def retyped_columns(
        self, table: OfflineTable, schema: pa.Schema
    ) -> list[tuple[str, pa.DataType, pa.DataType]]:
        """Columns of ``schema`` that ``table`` stores with another type, as (name,
        stored type, given type): writing ``schema``'s rows would cast one into the other.
        Types the store keeps alike (a string and a large string) are the same type."""
        ...

    def can_append(self, table: OfflineTable, batch: pa.Table, time_column: str) -> bool:
        """True when the table's metadata alone shows every stored ``time_column`` value
        earlier than every one of ``batch`` (or the table holds no rows): then no row of
        ``batch`` can equal a stored (key, time), and ``append`` does what ``upsert``
        would, cheaper. False when it cannot tell; the caller then compares the rows."""
        ...

    def append(self, table: OfflineTable, data: pa.Table, operation: str) -> int:
        """Append rows in one commit (growing the schema by ``data``'s new columns);
        returns the version. ``operation`` names the commit in ``history``."""
        ...

    def upsert(
        self,
        table: OfflineTable,
        data: pa.Table,
        match_columns: list[str],
        time_column: str,
        operation: str,
    ) -> Written:
        """In one commit, replace the stored rows that equal a row of ``data`` on
        ``match_columns`` by that row and insert the others (growing the schema by
        ``data``'s new columns). ``data`` holds one row per match; ``time_column``, one of
        ``match_columns``, is the one whose range the store may use to skip data that
        cannot match."""
        ...

    def delete_matching(self, table: OfflineTable, keys: pa.Table, operation: str) -> Written:
        """Delete every row whose ``keys.column_names`` values equal a row of ``keys``."""
        ...

    def delete_where(self, table: OfflineTable, predicate: str, operation: str) -> Written:
        """Delete the rows matching a SQL ``predicate`` over quoted column names."""
        ...

    def add_columns(self, table_id: str, fields: list[pa.Field]) -> None:
        """Grow a table's schema by nullable columns (no data is rewritten); columns it
        has already are left as they are."""
        ...

    def enable_change_feed(self, table_id: str) -> None:
        """Keep the rows each later commit changes (a group that becomes online needs it)."""
        ...

    def drop(self, table_id: str) -> None:
        """Delete a table and all its versions; a missing table is left missing."""
        ...

    def history(self, table: OfflineTable, limit: int | None = None) -> list[Commit]:
        """The table's commits, newest first (the ``limit`` newest); ``table`` is brought
        up to the newest version."""
        ...

    def changes(self, table: OfflineTable, start: int, end: int) -> pa.Table:
        """The rows changed by versions ``start..end`` (inclusive) of a table with a change
        feed, each with the CHANGE_COLUMNS, in no particular order. An update gives the
        row before (``update_preimage``) and after (``update_postimage``)."""
        ...


# URI scheme -> "module:class". Object storage (s3, ...) joins here when supported.
BACKENDS = {
    "file": "featurehouse.offline.delta:DeltaOfflineStore",
}


def open_offline_store(uri: str) -> OfflineStore:
    """Open the offline store at ``uri``: a directory (a plain path or ``file:///path``)
    that holds one Delta Lake table per table id."""
    if "://" not in uri:  # a plain path, which may hold a colon (C:\\...)
        uri = Path(uri).absolute().as_uri()
    backend: OfflineStore = open_backend("offline store", uri, BACKENDS)
    return backend
