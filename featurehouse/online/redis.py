"""The shared online store on Redis: one string key per row.

Key: ``{prefix}{table}:{key}``, where ``key`` is the JSON list of the encoded primary
key values. Value: an ordering prefix of 40 digits, the row's event time
(microseconds + 2**63, zero padded, so it is fixed width and never negative) then
the offline version it came from (zero padded), then the JSON list of the row's
values in schema order. Columns are only ever appended to a schema, so a row written
before the schema grew reads its new columns as None.

``write_latest`` runs a Lua script that compares ordering prefixes inside Redis, so
two writers cannot interleave between the read and the write of one key. The script
compares the prefix in 10-digit pieces as numbers: each piece is exact in a Lua
double, whereas a whole microsecond timestamp may not be.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from featurehouse.errors import BackendError, MissingDependencyError
from featurehouse.online.base import Key, OnlineTable, Row, Versions, version_list
from featurehouse.online.codec import encode_key, encode_rows, row_decoder

if TYPE_CHECKING:
    import pyarrow as pa
    import redis

DEFAULT_PREFIX = "fh:"
SCRIPT_KEYS = 500  # keys per script call
PIPELINE_CALLS = 20  # script (or MSET, MGET, DEL) calls sent per round trip
TIME_OFFSET = 2**63  # event time (µs) + offset is in [0, 2**64): 20 digits at most
PREFIX = 40  # digits of the ordering prefix: event time, then version
NULL_TIME = "0" * 20  # a null event time is older than any other
_Chunk = tuple[list[bytes], list[bytes]]

WRITE_LATEST = """
local function not_newer(stored, new)
  for i = 1, 31, 10 do
    local s, n = tonumber(string.sub(stored, i, i + 9)), tonumber(string.sub(new, i, i + 9))
    if s ~= n then return s < n end
  end
  return true
end
local written = 0
for i = 1, #KEYS do
  local old = redis.call('GET', KEYS[i])
  if (not old) or not_newer(old, ARGV[i]) then
    redis.call('SET', KEYS[i], ARGV[i])
    written = written + 1
  end
end
return written
"""

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _order_prefix(micros: int | None, version: int) -> str:
    """40 digits that sort like (event time, version)."""
    time = NULL_TIME if micros is None else f"{micros + TIME_OFFSET:020d}"
    return f"{time}{version:020d}"


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _key_normalizer(t: pa.DataType) -> Callable[[Any], Any]:
    """Make a looked-up key value encode like the stored one (``1`` for a float key is ``1.0``)."""
    import pyarrow.types as pt

    if pt.is_floating(t):
        return lambda v: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if pt.is_integer(t):
        return lambda v: int(v) if isinstance(v, float) and v.is_integer() else v
    return lambda v: v


@dataclass
class _Prepared:
    """Positions and codecs of one table, built once per process and schema."""

    columns: list[str]
    key_at: list[int]
    time_at: int
    binary_at: list[int]
    key_normalizers: list[Callable[[Any], Any]]
    decode: Callable[[tuple[Any, ...]], Row]
    key_prefix: str


class RedisOnlineStore:
    network_reads = True

    def __init__(self, uri: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError.for_extra("redis", "redis") from exc
        parts = urlsplit(uri)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self._prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX)
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        self._password = unquote(parts.password) if parts.password else None
        host = parts.hostname or "localhost"
        where = f"{host}:{parts.port}" if parts.port else host
        self._where = f"{parts.scheme}://{where}{parts.path}"  # for messages: no credentials
        self._errors = redis.RedisError
        self._retryable = (redis.ConnectionError, redis.TimeoutError)
        self._auth_error = redis.AuthenticationError
        self._client: redis.Redis = redis.Redis.from_url(urlunsplit(parts._replace(query=rest)))
        self._script = self._client.register_script(WRITE_LATEST)
        self._prepared: dict[str, tuple[pa.Schema, _Prepared]] = {}

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Translate driver errors, keeping passwords out of the message."""
        try:
            yield
        except self._errors as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if self._password:
                detail = detail.replace(self._password, "***")
            retryable = isinstance(exc, self._retryable) and not isinstance(exc, self._auth_error)
            raise BackendError(
                f"online store (redis at {self._where}) {action} failed: {detail}",
                obj="online store",
                retryable=retryable,
            ) from exc

    def _table(self, table: OnlineTable) -> _Prepared:
        cached = self._prepared.get(table.name)
        if cached is not None and cached[0] is table.schema:
            return cached[1]
        import pyarrow.types as pt

        columns = list(table.schema.names)
        types = [table.schema.field(c).type for c in columns]
        key_at = [columns.index(c) for c in table.primary_key]
        prepared = _Prepared(
            columns=columns,
            key_at=key_at,
            time_at=columns.index(table.event_time),
            binary_at=[i for i, t in enumerate(types) if pt.is_binary(t) or pt.is_large_binary(t)],
            key_normalizers=[_key_normalizer(types[i]) for i in key_at],
            decode=row_decoder(table.schema, columns),
            key_prefix=f"{self._prefix}{table.name}:",
        )
        self._prepared[table.name] = (table.schema, prepared)
        return prepared

    def _chunks(self, table: OnlineTable, rows: pa.Table, versions: Versions) -> Iterator[_Chunk]:
        """(redis keys, values) of the rows, SCRIPT_KEYS at a time, encoded for the wire."""
        prepared = self._table(table)
        key_prefix, key_at, time_at = prepared.key_prefix, prepared.key_at, prepared.time_at
        encoded = encode_rows(rows, prepared.columns)
        stamps = version_list(versions, len(encoded))
        for start in range(0, len(encoded), SCRIPT_KEYS):
            keys: list[bytes] = []
            values: list[bytes] = []
            end = start + SCRIPT_KEYS
            for row, version in zip(encoded[start:end], stamps[start:end], strict=True):
                keys.append((key_prefix + _dumps([row[i] for i in key_at])).encode())
                if prepared.binary_at:
                    row = _with_base64(row, prepared.binary_at)
                values.append((_order_prefix(row[time_at], version) + _dumps(row)).encode())
            yield keys, values

    def _key(self, prepared: _Prepared, key: Key) -> str:
        normal = [f(v) for f, v in zip(prepared.key_normalizers, encode_key(key), strict=True)]
        return prepared.key_prefix + _dumps(normal)

    def _send(self, action: str, calls: Iterator[Callable[[Any], Any]]) -> list[Any]:
        """Run ``call(pipeline)`` for each call, PIPELINE_CALLS per round trip."""
        results: list[Any] = []
        with self._guard(action), self._client.pipeline(transaction=False) as pipe:
            pending = 0
            for call in calls:
                call(pipe)
                pending += 1
                if pending == PIPELINE_CALLS:
                    results.extend(pipe.execute())
                    pending = 0
            if pending:
                results.extend(pipe.execute())
        return results

    def write_latest(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        chunks = self._chunks(table, rows, versions)
        self._send("write", (_script_call(self._script, k, v) for k, v in chunks))

    def overwrite(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        chunks = self._chunks(table, rows, versions)
        self._send("write", (_mset_call(dict(zip(k, v, strict=True))) for k, v in chunks))

    def read(self, table: OnlineTable, keys: Sequence[Key]) -> list[Row | None]:
        prepared = self._table(table)
        names = [self._key(prepared, k) for k in keys]
        chunks = [names[i : i + SCRIPT_KEYS] for i in range(0, len(names), SCRIPT_KEYS)]
        if len(chunks) == 1:
            with self._guard("read"):
                values: list[Any] = self._client.mget(chunks[0])
        else:
            values = [v for c in self._send("read", (_mget_call(c) for c in chunks)) for v in c]
        width = len(prepared.columns)
        out: list[Row | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            row: list[Any] = json.loads(value[PREFIX:])
            if len(row) < width:  # written before the schema grew
                row.extend([None] * (width - len(row)))
            elif len(row) > width:  # written by a process that knows a newer schema
                del row[width:]
            for i in prepared.binary_at:
                if row[i] is not None:
                    row[i] = base64.b64decode(row[i])
            out.append(prepared.decode(tuple(row)))
        return out

    def delete(self, table: OnlineTable, keys: Sequence[Key]) -> None:
        prepared = self._table(table)
        names = [self._key(prepared, k) for k in keys]
        chunks = (names[i : i + SCRIPT_KEYS] for i in range(0, len(names), SCRIPT_KEYS))
        self._send("delete", (_delete_call(c) for c in chunks))

    def drop(self, table: OnlineTable) -> None:
        # Every encoded key is a JSON list, so "[" after the colon keeps table "a" from
        # matching the keys of a table named "a:b".
        pattern = _glob_escape(f"{self._prefix}{table.name}:[") + "*"
        with self._guard("drop"):
            batch: list[bytes | str] = []
            for name in self._client.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) == 1000:
                    self._client.unlink(*batch)
                    batch = []
            if batch:
                self._client.unlink(*batch)
        self._prepared.pop(table.name, None)

    def close(self) -> None:
        with self._guard("close"):
            self._client.close()


def _with_base64(row: tuple[Any, ...], binary_at: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in binary_at:
        if values[i] is not None:
            values[i] = base64.b64encode(values[i]).decode("ascii")
    return tuple(values)


def _script_call(script: Any, keys: list[bytes], args: list[bytes]) -> Callable[[Any], Any]:
    return lambda pipe: script(keys=keys, args=args, client=pipe)


def _mset_call(mapping: dict[bytes, bytes]) -> Callable[[Any], Any]:
    return lambda pipe: pipe.mset(mapping)


def _mget_call(names: list[str]) -> Callable[[Any], Any]:
    return lambda pipe: pipe.mget(names)


def _delete_call(names: list[str]) -> Callable[[Any], Any]:
    return lambda pipe: pipe.delete(*names)
