"""The embedded online store: one SQLite database (WAL), one table per feature group version.

A table holds the key columns, the event time (integer microseconds), the fixed-width
features packed into one blob with its null bitmap (see ``packing``), and one column
per variable-width feature. One binding per fixed feature would cost more than the
insert itself; the blob keeps writes fast.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from featurehouse.common.sqlite_wal import use_wal
from featurehouse.errors import BackendError
from featurehouse.online.base import Found, Key, Row, Versions, version_list
from featurehouse.online.codec import (
    ColumnDecoder,
    column_decoder,
    decoder,
    encode_column,
    encode_key,
)
from featurehouse.online.packing import RowLayout, row_assembler
from featurehouse.types import OnlineTable

ROWS_PER_STATEMENT = 200  # multi-row VALUES: fewer statements for Python to drive
MAX_PARAMETERS = 32_766  # SQLite's limit on bound parameters per statement
FIXED = "_fh_fixed"
NULLS = "_fh_nulls"
VERSION = "_fh_version"  # the offline version a row came from: breaks event-time ties
REBUILD_SUFFIX = "__rebuild"  # the side table a rebuild fills before the swap


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(t: pa.DataType) -> str:
    if pt.is_integer(t) or pt.is_boolean(t) or pt.is_timestamp(t) or pt.is_date(t):
        return "INTEGER"
    if pt.is_floating(t):
        return "REAL"
    if pt.is_binary(t):
        return "BLOB"
    return "TEXT"


@dataclass(frozen=True)
class _Insert:
    """An INSERT of any number of rows: ``head VALUES row, row, ... tail``."""

    head: str
    tail: str

    def sql(self, row: str, rows: int) -> str:
        return f"{self.head} VALUES {', '.join([row] * rows)} {self.tail}"


@dataclass
class _Batch:
    """Rows ready for an INSERT: the VALUES of one row (``?`` for each parameter, literals
    for values that every row shares) and every row's parameters, one flat list."""

    row: str
    width: int  # parameters per row
    parameters: list[Any]

    @property
    def rows_per_statement(self) -> int:
        return max(1, min(ROWS_PER_STATEMENT, MAX_PARAMETERS // self.width))


@dataclass
class _Prepared:
    """SQL and codecs of one table, built once per process and schema."""

    leading: list[str]  # key columns, then the event time
    layout: RowLayout
    definition: str  # what follows "CREATE TABLE name"
    columns: str  # the stored columns, quoted, in order
    upsert_latest: _Insert
    replace: _Insert
    select: str
    # "WITH keys(pos, k1, k2) AS (VALUES" and ") SELECT ... LEFT JOIN ... ORDER BY pos", to
    # go around "(0, ?, ?), (1, ?, ?)": a row per key in key order, nulls where none is stored
    select_many: tuple[str, str]
    delete: str
    lead_decoders: list[Callable[[Any], Any] | None]
    encode_keys: bool  # False when every key column is stored as it is looked up
    names: list[str]  # the schema's columns
    # the leading and variable columns: where their values are in a read row, and their
    # decoder to Arrow (the layout decodes the fixed ones)
    column_plan: dict[str, tuple[int, ColumnDecoder]]
    assemble: Callable[[Sequence[Any], list[Any], Sequence[Any]], Row]


class SqliteOnlineStore:
    network_reads = False

    def __init__(self, uri: str, key_prefix: str = "") -> None:
        # key_prefix is not used: a SQLite online file belongs to one project (its home).
        path = uri.split(":///", 1)[1] if ":///" in uri else ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages for large writes
        self._lock = threading.Lock()
        self._prepared: dict[str, tuple[pa.Schema, _Prepared]] = {}

    def _table(self, table: OnlineTable) -> _Prepared:
        cached = self._prepared.get(table.name)
        # Views and predictors hold equal copies of one schema: compare by value when not
        # the same object, or they would evict each other's entry on every other call.
        if cached is not None and (cached[0] is table.schema or cached[0].equals(table.schema)):
            return cached[1]
        with self._lock:
            prepared = self._ensure(table)
        self._prepared[table.name] = (table.schema, prepared)
        return prepared

    def _ensure(self, table: OnlineTable) -> _Prepared:
        schema = table.schema
        name = _quote(_table_name(table))
        leading = [*table.primary_key, table.event_time]
        layout = RowLayout(schema, [c for c in schema.names if c not in leading])
        stored = [*leading, VERSION, FIXED, NULLS, *layout.variable]
        types = {c: _sql_type(schema.field(c).type) for c in [*leading, *layout.variable]}
        types.update({VERSION: "INTEGER", FIXED: "BLOB", NULLS: "BLOB"})
        pk = ", ".join(_quote(c) for c in table.primary_key)
        defs = ", ".join(f"{_quote(c)} {types[c]}" for c in stored)
        definition = f"({defs}, PRIMARY KEY ({pk})) WITHOUT ROWID"
        self._conn.execute(f"CREATE TABLE IF NOT EXISTS {name} {definition}")
        existing = {r[1] for r in self._conn.execute(f"PRAGMA table_info({name})")}
        for c in stored:
            if c not in existing:  # a variable-width column added by schema evolution
                try:
                    self._conn.execute(f"ALTER TABLE {name} ADD COLUMN {_quote(c)} {types[c]}")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):  # another process added it first
                        raise
        cols = ", ".join(_quote(c) for c in stored)
        read = ", ".join(_quote(c) for c in stored if c != VERSION)
        ts, version = _quote(table.event_time), _quote(VERSION)
        updates = ", ".join(
            f"{_quote(c)} = excluded.{_quote(c)}" for c in stored if c not in table.primary_key
        )
        key_match = " AND ".join(f"{_quote(c)} = ?" for c in table.primary_key)
        return _Prepared(
            leading=leading,
            layout=layout,
            definition=definition,
            columns=cols,
            upsert_latest=_Insert(
                f"INSERT INTO {name} ({cols})",
                f"ON CONFLICT ({pk}) DO UPDATE SET {updates} "
                f"WHERE (excluded.{ts}, excluded.{version}) >= ({name}.{ts}, {name}.{version})",
            ),
            replace=_Insert(f"INSERT OR REPLACE INTO {name} ({cols})", ""),
            select=f"SELECT {read} FROM {name} WHERE {key_match}",
            select_many=_select_many(name, table.primary_key, [c for c in stored if c != VERSION]),
            delete=f"DELETE FROM {name} WHERE {key_match}",
            lead_decoders=[_sqlite_decoder(schema.field(c).type) for c in leading],
            encode_keys=any(decoder(schema.field(c).type) for c in table.primary_key),
            names=schema.names,
            column_plan=_column_plan(schema, leading, layout),
            assemble=row_assembler(schema.names, layout, leading),
        )

    def _batch(self, prepared: _Prepared, rows: pa.Table, versions: Versions) -> _Batch:
        n = rows.num_rows
        order = None
        others = rows.select([*prepared.leading, *prepared.layout.variable])
        if n > 1:
            # In key order, each insert lands next to the last one in the table's b-tree:
            # several times faster than the random order in which keys arrive.
            order = pc.sort_indices(rows, [(c, "ascending") for c in prepared.leading[:-1]])
            others = others.take(order)
        order_numpy = None if order is None else order.to_numpy()
        blobs, nulls = prepared.layout.pack(rows, order_numpy)
        # Each bound parameter costs about as much as SQLite's insert of the row: a version
        # or null bitmap shared by every row is written in the SQL instead.
        values: list[list[Any]] = [encode_column(others.column(c)) for c in prepared.leading]
        slots = ["?"] * len(values)
        if isinstance(versions, int):
            slots.append(str(int(versions)))
        else:
            stamps = version_list(versions, n)
            values.append(stamps if order_numpy is None else [stamps[i] for i in order_numpy])
            slots.append("?")
        values.append(blobs)
        slots.append("?")
        if nulls.count(None) == n:
            slots.append("NULL")
        else:
            values.append(nulls)
            slots.append("?")
        values.extend(prepared.layout.variable_values(others))
        slots.extend(["?"] * len(prepared.layout.variable))
        width = len(values)
        parameters: list[Any] = [None] * (n * width)
        for i, column in enumerate(values):
            parameters[i::width] = column
        return _Batch("(" + ", ".join(slots) + ")", width, parameters)

    def _write(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` for each parameter set, all in one transaction."""
        self._transaction([(sql, params)], "write")

    def _transaction(self, statements: Sequence[str | tuple[str, Any]], action: str) -> None:
        """Run statements (SQL, or SQL and its parameter sets) in one transaction."""
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in statements:
                        if isinstance(statement, str):
                            self._conn.execute(statement)
                        else:
                            self._conn.executemany(*statement)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise BackendError(
                f"online store (sqlite) {action} failed: {exc}", obj="online store", retryable=True
            ) from exc

    def _insert(self, insert: _Insert, batch: _Batch) -> None:
        """Insert the rows in one transaction: statements of many rows, then one for the rest."""
        parameters, per = batch.parameters, batch.rows_per_statement
        step = per * batch.width
        full = len(parameters) - len(parameters) % step
        statements: list[tuple[str, Any]] = []
        if full:
            groups = (parameters[i : i + step] for i in range(0, full, step))
            statements.append((insert.sql(batch.row, per), groups))
        if full < len(parameters):
            rest = len(parameters) - full
            statements.append((insert.sql(batch.row, rest // batch.width), [parameters[full:]]))
        self._transaction(statements, "write")

    def write_latest(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        self._insert(prepared.upsert_latest, self._batch(prepared, rows, versions))

    def overwrite(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        self._insert(prepared.replace, self._batch(prepared, rows, versions))

    def read(self, table: OnlineTable, keys: Sequence[Key]) -> list[Row | None]:
        prepared = self._table(table)
        found = self._fetch(prepared, keys)
        return [None if values is None else self._decode(prepared, values) for values in found]

    def read_table(
        self, table: OnlineTable, keys: Sequence[Key], columns: Sequence[str] | None = None
    ) -> tuple[pa.Table, Found]:
        import numpy as np

        prepared = self._table(table)
        stored = self._fetch(prepared, keys)
        found = np.fromiter((row is not None for row in stored), dtype=bool, count=len(stored))
        names = prepared.names if columns is None else list(columns)
        rows = self._columns(prepared, [row for row in stored if row is not None], names)
        if rows.num_rows < len(stored):  # keys with no row: rows of nulls in their places
            positions = np.cumsum(found) - 1
            rows = rows.take(pa.array(positions, mask=~found))
        return rows, found

    def _fetch(self, prepared: _Prepared, keys: Sequence[Key]) -> list[tuple[Any, ...] | None]:
        """The stored values of each key's row, in key order; None for a key with no row."""
        encoded = [encode_key(k) for k in keys] if prepared.encode_keys else list(keys)
        try:
            with self._lock:
                cursor = self._conn.cursor()
                if len(encoded) == 1:  # the hot path of online serving
                    return [cursor.execute(prepared.select, encoded[0]).fetchone()]
                return self._read_many(cursor, prepared, encoded)
        except sqlite3.Error as exc:
            raise BackendError(
                f"online store (sqlite) read failed: {exc}", obj="online store", retryable=True
            ) from exc

    def _read_many(
        self, cursor: sqlite3.Cursor, prepared: _Prepared, keys: list[Key]
    ) -> list[tuple[Any, ...] | None]:
        """One query per chunk of keys (a LEFT JOIN from the keys), answers in key order."""
        width = len(prepared.leading) - 1
        per = max(1, MAX_PARAMETERS // width // 2)
        head, tail = prepared.select_many
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), per):
            chunk = keys[start : start + per]
            sql = f"{head} {_key_rows(len(chunk), width)} {tail}"
            found.extend(cursor.execute(sql, [v for key in chunk for v in key]).fetchall())
        return [None if row[0] is None else row for row in found]  # a key column is never null

    @staticmethod
    def _decode(prepared: _Prepared, found: tuple[Any, ...]) -> Row:
        width = len(prepared.leading)
        lead = [
            v if d is None or v is None else d(v)
            for v, d in zip(found[:width], prepared.lead_decoders, strict=True)
        ]
        fixed = prepared.layout.unpack(found[width], found[width + 1])
        variable = [
            v if d is None or v is None else d(v)
            for v, d in zip(found[width + 2 :], prepared.layout.variable_decoders, strict=True)
        ]
        return prepared.assemble(lead, fixed, variable)

    @staticmethod
    def _columns(prepared: _Prepared, found: list[tuple[Any, ...]], names: list[str]) -> pa.Table:
        """Rows of stored values as an Arrow table of ``names``, a column at a time."""
        width = len(prepared.leading)
        count = width + 2 + len(prepared.layout.variable)
        stored = list(zip(*found, strict=True)) if found else [()] * count
        arrays = prepared.layout.unpack_columns(stored[width], stored[width + 1], set(names))
        for name in names:
            if name not in arrays:
                at, decode = prepared.column_plan[name]
                arrays[name] = decode(stored[at], None)
        return pa.Table.from_arrays([arrays[c] for c in names], names=names)

    def delete(self, table: OnlineTable, keys: Sequence[Key]) -> None:
        prepared = self._table(table)
        self._write(prepared.delete, [encode_key(k) for k in keys])

    def replace_all(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        # Fill a side table, then swap it in by name in one transaction: readers (WAL) see
        # the old table until the commit. Statements prepared by name elsewhere find the
        # new table under the same name.
        prepared = self._table(table)
        live = _quote(_table_name(table))
        side = _quote(_table_name(table) + REBUILD_SUFFIX)
        with self._lock:
            self._conn.execute(f"DROP TABLE IF EXISTS {side}")  # left by a crash
            self._conn.execute(f"CREATE TABLE {side} {prepared.definition}")
        fill = _Insert(f"INSERT INTO {side} ({prepared.columns})", "")
        self._insert(fill, self._batch(prepared, rows, versions))
        self._transaction([f"DROP TABLE {live}", f"ALTER TABLE {side} RENAME TO {live}"], "rebuild")

    def holds(self, table: OnlineTable) -> bool:
        # The table is its own marker: a file is not emptied behind the store's back.
        with self._lock:
            found = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (_table_name(table),),
            ).fetchone()
        return found is not None

    def drop(self, table: OnlineTable) -> None:
        # Empty the table rather than drop it: another store on the same file may hold it
        # prepared, and would fail with "no such table".
        name = _table_name(table)
        with self._lock:
            found = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            if found:
                self._conn.execute(f"DELETE FROM {_quote(name)}")

    def close(self) -> None:
        self._conn.close()


def _table_name(table: OnlineTable) -> str:
    return "fg_" + table.name


def _select_many(name: str, primary_key: Sequence[str], read: list[str]) -> tuple[str, str]:
    """The two halves of ``_Prepared.select_many`` (see there)."""
    keys = [f"_fh_k{i}" for i in range(len(primary_key))]
    match = " AND ".join(
        f"{name}.{_quote(c)} = _fh_keys.{k}" for c, k in zip(primary_key, keys, strict=True)
    )
    columns = ", ".join(f"{name}.{_quote(c)}" for c in read)
    return (
        f"WITH _fh_keys(_fh_pos, {', '.join(keys)}) AS (VALUES",
        f") SELECT {columns} FROM _fh_keys LEFT JOIN {name} ON {match} ORDER BY _fh_keys._fh_pos",
    )


@functools.lru_cache(maxsize=64)
def _key_rows(count: int, width: int) -> str:
    """``(0, ?, ?), (1, ?, ?), ...``: ``count`` keys of ``width`` values and their positions."""
    marks = ", ?" * width
    return ", ".join(f"({i}{marks})" for i in range(count))


def _column_plan(
    schema: pa.Schema, leading: list[str], layout: RowLayout
) -> dict[str, tuple[int, ColumnDecoder]]:
    """For ``_columns``: the place of each leading and variable column in a read row (the
    leading columns, the blob and its nulls, then the variable columns) and its decoder."""
    places = {c: i for i, c in enumerate(leading)}
    places.update({c: len(leading) + 2 + i for i, c in enumerate(layout.variable)})
    return {c: (at, column_decoder(schema.field(c).type)) for c, at in places.items()}


def _sqlite_decoder(t: pa.DataType) -> Callable[[Any], Any] | None:
    """SQLite hands booleans back as integers."""
    return bool if pt.is_boolean(t) else decoder(t)
