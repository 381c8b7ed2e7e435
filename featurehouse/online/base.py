"""The online store protocol, and how a URI picks the backend.

A backend stores rows by primary key. The rule "the greatest event time wins"
is enforced by each backend atomically in ``write_latest`` (a compare on the
event time inside the store), because two writers may race; everything else
(which rows to write, replay, repair) lives once, above the backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

import pyarrow as pa

from featurehouse.common.backends import open_backend
from featurehouse.types import OnlineTable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Key = tuple[Any, ...]
Row = dict[str, Any]
Versions = int | Sequence[int]
Found: TypeAlias = "npt.NDArray[np.bool_]"  # whether each key has a row


def version_list(versions: Versions, count: int) -> list[int]:
    """The offline version of each of ``count`` rows."""
    if isinstance(versions, int):
        return [versions] * count
    values = [int(v) for v in versions]
    if len(values) != count:
        raise ValueError(f"{len(values)} versions for {count} rows")
    return values


class OnlineStore(Protocol):
    # A capability: True when a read waits on a network round trip (Redis), False when it
    # reads a local file (SQLite). A server runs network reads off its event loop.
    network_reads: bool

    def write_latest(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        """Store each row unless its key already holds a newer row.

        Newer means a greater event time, or the same event time from a greater offline
        version: of two corrections of one row, the later commit wins, whichever process
        writes last. ``versions`` is the offline version of every row, or of each row.
        ``rows`` hold at most one row per key; an equal (event time, version) replaces.
        """
        ...

    def overwrite(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        """Store each row whatever is stored for its key (used to repair after deletes)."""
        ...

    def read(self, table: OnlineTable, keys: Sequence[Key]) -> list[Row | None]:
        """The stored row of each key, in order; None for a key with no row."""
        ...

    def delete(self, table: OnlineTable, keys: Sequence[Key]) -> None:
        """Remove the rows of these keys; unknown keys are ignored."""
        ...

    def drop(self, table: OnlineTable) -> None:
        """Remove every row of the table."""
        ...

    def replace_all(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        """Make ``rows`` the table's only rows in one atomic switch.

        The rows are built aside; readers see every old row until the switch, then only
        the new ones. A crash before the switch leaves the old rows (and some garbage
        aside, which the next call clears); calling again finishes the job.
        """
        ...

    def holds(self, table: OnlineTable) -> bool:
        """False when the store has lost the table: its marker, which every write puts
        beside the rows, is gone (a Redis restarted without persistence, flushed or
        evicted). The caller repairs it by rebuilding."""
        ...

    def close(self) -> None: ...


class ReadsTables(Protocol):
    """A capability: a backend that reads many keys straight into Arrow columns (SQLite)
    defines ``read_table``; ``read_table(store, ...)`` below gives every other backend the
    same answer built from its ``read``."""

    def read_table(
        self, table: OnlineTable, keys: Sequence[Key], columns: Sequence[str] | None = None
    ) -> tuple[pa.Table, Found]:
        """The stored rows of ``keys`` as one table of ``columns`` (default: the schema's),
        in key order (a key repeated gives its row again, a key with no row a row of
        nulls), and a numpy bool array: whether each key has a row."""
        ...


def read_table(
    store: OnlineStore,
    table: OnlineTable,
    keys: Sequence[Key],
    columns: Sequence[str] | None = None,
) -> tuple[pa.Table, Found]:
    """``ReadsTables.read_table``, from any online store."""
    if hasattr(store, "read_table"):  # (isinstance on a runtime protocol costs microseconds)
        return cast(ReadsTables, store).read_table(table, keys, columns)
    return rows_table(table, store.read(table, keys), columns)


def rows_table(
    table: OnlineTable, rows: Sequence[Row | None], columns: Sequence[str] | None = None
) -> tuple[pa.Table, Found]:
    """Rows as ``read`` returns them, as ``read_table`` returns them."""
    import numpy as np

    found = np.fromiter((row is not None for row in rows), dtype=bool, count=len(rows))
    names = table.schema.names if columns is None else list(columns)
    arrays = [
        pa.array([None if row is None else row[c] for row in rows], table.schema.field(c).type)
        for c in names
    ]
    return pa.Table.from_arrays(arrays, names=names), found


# URI scheme -> "module:class". Drivers load only when their scheme is used.
BACKENDS = {
    "sqlite": "featurehouse.online.sqlite:SqliteOnlineStore",
    "redis": "featurehouse.online.redis:RedisOnlineStore",
    "rediss": "featurehouse.online.redis:RedisOnlineStore",
}


def open_online_store(uri: str, key_prefix: str = "") -> OnlineStore:
    """Open the online store at ``uri`` (``sqlite:///path`` or ``redis://host:port/db``).

    ``key_prefix`` namespaces the tables of one project in a store that several projects
    share (Redis keys start with it; a SQLite online file is one project's own).
    """
    backend: OnlineStore = open_backend("online store", uri, BACKENDS, key_prefix=key_prefix)
    return backend
