"""The catalog on SQLAlchemy Core: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from featurehouse.catalog.base import Entry, JsonBody, describe
from featurehouse.common.sqlite_wal import use_wal
from featurehouse.errors import (
    AlreadyExistsError,
    BackendError,
    ConflictError,
    MissingDependencyError,
    NotFoundError,
)

metadata = sa.MetaData()
entries = sa.Table(
    "fh_entries",
    metadata,
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside one writer; the busy timeout makes other
    # processes wait for the write lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _create_engine(uri: str) -> sa.Engine:
    if uri.startswith("sqlite"):
        path = uri.split(":///", 1)[1] if ":///" in uri else ""
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(uri)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if uri.startswith(("postgresql://", "postgres://")):
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]
    try:
        return sa.create_engine(uri, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise MissingDependencyError.for_extra(exc.name or "psycopg", "postgres") from exc


class SqlCatalog:
    """Entries in one table ``fh_entries``; JSON bodies as text so every dialect agrees."""

    def __init__(self, uri: str) -> None:
        self._engine = _create_engine(uri)
        try:
            metadata.create_all(self._engine, checkfirst=True)
        except sa.exc.DBAPIError as exc:
            if self._has_entries():
                return  # another process created the table between our check and create
            raise BackendError(
                f"cannot open the catalog ({self._engine.dialect.name}): {exc.orig}",
                obj="catalog",
                retryable=True,
            ) from exc

    def _has_entries(self) -> bool:
        try:
            return sa.inspect(self._engine).has_table(entries.name)
        except sa.exc.DBAPIError:
            return False

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise BackendError(
                f"catalog ({self._engine.dialect.name}) failed: {exc.orig}",
                obj="catalog",
                retryable=True,
            ) from exc

    def create(
        self, kind: str, name: str, version: int, body: JsonBody, *, requires: Sequence[Entry] = ()
    ) -> Entry:
        now = datetime.now(UTC)
        row = {
            "kind": kind,
            "name": name,
            "version": version,
            "revision": 1,
            "body": json.dumps(body, sort_keys=True),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self._begin() as conn:
                for required in requires:
                    self._bump(conn, required)
                conn.execute(entries.insert().values(**row))
        except sa.exc.IntegrityError as exc:
            raise AlreadyExistsError(
                f"{describe(kind)} {name!r} version {version} already exists",
                obj=f"{name}:{version}",
            ) from exc
        return self._entry(row)

    @staticmethod
    def _bump(conn: sa.Connection, entry: Entry) -> None:
        """Grow ``entry``'s revision if it is unchanged; the row stays locked until commit,
        so a concurrent change conditional on it waits, then finds another revision."""
        result = conn.execute(
            entries.update()
            .where(_key(entry.kind, entry.name, entry.version))
            .where(entries.c.revision == entry.revision)
            .values(revision=entry.revision + 1)
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"{describe(entry.kind)} {entry.name!r} version {entry.version} was changed or "
                "deleted concurrently",
                obj=f"{entry.name}:{entry.version}",
            )

    def get(self, kind: str, name: str, version: int | None = None) -> Entry:
        query = sa.select(entries).where(entries.c.kind == kind, entries.c.name == name)
        if version is None:
            query = query.order_by(entries.c.version.desc()).limit(1)
        else:
            query = query.where(entries.c.version == version)
        with self._begin() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            which = "any version" if version is None else f"version {version}"
            raise NotFoundError(f"{describe(kind)} {name!r} ({which}) does not exist", obj=name)
        return self._entry(row)

    def list(self, kind: str, name: str | None = None) -> list[Entry]:
        query = sa.select(entries).where(entries.c.kind == kind)
        if name is not None:
            query = query.where(entries.c.name == name)
        query = query.order_by(entries.c.name, entries.c.version)
        with self._begin() as conn:
            return [self._entry(row) for row in conn.execute(query).mappings()]

    def update(self, entry: Entry, body: JsonBody) -> Entry:
        now = datetime.now(UTC)
        with self._begin() as conn:
            result = conn.execute(
                entries.update()
                .where(_key(entry.kind, entry.name, entry.version))
                .where(entries.c.revision == entry.revision)
                .values(
                    revision=entry.revision + 1,
                    body=json.dumps(body, sort_keys=True),
                    updated_at=now,
                )
            )
        if result.rowcount != 1:
            raise ConflictError(
                f"{describe(entry.kind)} {entry.name!r} version {entry.version} was changed concurrently",
                obj=f"{entry.name}:{entry.version}",
            )
        return Entry(
            entry.kind, entry.name, entry.version, entry.revision + 1, body, entry.created_at, now
        )

    def delete(self, kind: str, name: str, version: int, *, revision: int | None = None) -> None:
        condition = _key(kind, name, version)
        if revision is not None:
            condition &= entries.c.revision == revision
        with self._begin() as conn:
            if conn.execute(entries.delete().where(condition)).rowcount == 1:
                return
            found = conn.execute(sa.select(entries.c.revision).where(_key(kind, name, version)))
            stale = found.first() is not None
        if stale:
            raise ConflictError(
                f"{describe(kind)} {name!r} version {version} changed since revision {revision}",
                obj=f"{name}:{version}",
                expected=revision,
            )
        raise NotFoundError(f"{describe(kind)} {name!r} version {version} does not exist", obj=name)

    def close(self) -> None:
        self._engine.dispose()

    @staticmethod
    def _entry(row: Any) -> Entry:
        return Entry(
            kind=row["kind"],
            name=row["name"],
            version=row["version"],
            revision=row["revision"],
            body=json.loads(row["body"]),
            created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]),
        )


def _key(kind: str, name: str, version: int) -> sa.ColumnElement[bool]:
    return (entries.c.kind == kind) & (entries.c.name == name) & (entries.c.version == version)


def _utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes; every time we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
