"""The shared online store on Redis: one string key per row.

Keys of a table start with ``{prefix}{key_prefix}{table}:``: the URI's ``prefix``, then
the project's key prefix (projects sharing one Redis never see each other's rows). Under
it, ``generation`` holds the table's current generation and a row is the key
``{generation}:{key}``, where ``key`` is the JSON list of the encoded primary key values.
A rebuild fills the next generation aside, switches ``generation`` with one SET (readers
see the old rows until then, all the new ones after) and deletes the old generations.
The ``generation`` key is also the table's marker: if Redis loses it (a restart without
persistence, a flush, an eviction) ``holds`` says so, and the caller rebuilds.

Value: an ordering prefix of 40 digits, the row's event time (microseconds + 2**63,
zero padded, so it is fixed width and never negative) then the offline version it came
from (zero padded), then the JSON list of the row's values in schema order. Columns are
only ever appended to a schema, so a row written before the schema grew reads its new
columns as None.

Reads and writes are Lua scripts that look the generation up and use it in one step, so
no reader or writer can straddle a switch. ``write_latest`` compares ordering prefixes
inside Redis, so two writers cannot interleave between the read and the write of one
key; it compares the prefix in 10-digit pieces as numbers: each piece is exact in a Lua
double, whereas a whole microsecond timestamp may not be. (The scripts name row keys they
build themselves, which a standalone Redis allows and Redis Cluster does not.)
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.types as pt

from featurehouse.errors import BackendError, MissingDependencyError
from featurehouse.online.base import Key, Row, Versions, version_list
from featurehouse.online.codec import encode_key, encode_rows, row_decoder
from featurehouse.types import OnlineTable

if TYPE_CHECKING:
    import redis

DEFAULT_PREFIX = "fh:"
SCRIPT_KEYS = 500  # keys per script call
PIPELINE_CALLS = 20  # script (or MSET, MGET, DEL) calls sent per round trip
TIME_OFFSET = 2**63  # event time (µs) + offset is in [0, 2**64): 20 digits at most
PREFIX = 40  # digits of the ordering prefix: event time, then version
NULL_TIME = "0" * 20  # a null event time is older than any other
GENERATION = "generation"  # under a table's keys: its current generation (and marker)
NEXT_GENERATION = "next-generation"  # the last generation a rebuild started
_Chunk = tuple[list[bytes], list[bytes]]

# Every script: KEYS[1] is the generation key, ARGV[1] the table's key prefix, the rest
# row keys (and values). Writes start generation 0 when there is none.
_ROWS = """
local function rows(create)
  local g = redis.call('GET', KEYS[1])
  if not g then
    if not create then return nil end
    g = '0'
    redis.call('SET', KEYS[1], g)
  end
  return ARGV[1] .. g .. ':'
end
"""

READ = (
    _ROWS
    + """
local base = rows(false)
if not base or #ARGV < 2 then return {} end
local names = {}
for i = 2, #ARGV do names[i - 1] = base .. ARGV[i] end
return redis.call('MGET', unpack(names))
"""
)

WRITE_LATEST = (
    _ROWS
    + """
local function not_newer(stored, new)
  for i = 1, 31, 10 do
    local s, n = tonumber(string.sub(stored, i, i + 9)), tonumber(string.sub(new, i, i + 9))
    if s ~= n then return s < n end
  end
  return true
end
local base = rows(true)
local written = 0
for i = 2, #ARGV, 2 do
  local name = base .. ARGV[i]
  local old = redis.call('GET', name)
  if (not old) or not_newer(old, ARGV[i + 1]) then
    redis.call('SET', name, ARGV[i + 1])
    written = written + 1
  end
end
return written
"""
)

OVERWRITE = (
    _ROWS
    + """
local base = rows(true)
for i = 2, #ARGV, 2 do redis.call('SET', base .. ARGV[i], ARGV[i + 1]) end
return #ARGV / 2
"""
)

DELETE = (
    _ROWS
    + """
local base = rows(false)
if not base then return 0 end
local deleted = 0
for i = 2, #ARGV do deleted = deleted + redis.call('DEL', base .. ARGV[i]) end
return deleted
"""
)

# KEYS: generation, next generation. A new generation above every one in use.
START_REBUILD = """
local n = redis.call('INCR', KEYS[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if n <= current then
  n = current + 1
  redis.call('SET', KEYS[2], n)
end
return n
"""

# KEYS: generation; ARGV[1]: the new generation. The highest generation built wins.
SWITCH = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if current < new then redis.call('SET', KEYS[1], ARGV[1]) end
return math.max(current, new)
"""


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes):  # a binary key column
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_dumps = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, default=_bytes_as_base64
).encode


def _order_prefix(micros: int | None, version: int) -> str:
    """40 digits that sort like (event time, version)."""
    time = NULL_TIME if micros is None else f"{micros + TIME_OFFSET:020d}"
    return f"{time}{version:020d}"


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


@dataclass
class _Prepared:
    """Positions and codecs of one table, built once per process and schema."""

    columns: list[str]
    key_at: list[int]
    time_at: int
    binary_at: list[int]
    decode: Callable[[tuple[Any, ...]], Row]
    base: str  # the prefix of every key of the table
    generation: str  # the key of its current generation


class RedisOnlineStore:
    network_reads = True

    def __init__(self, uri: str, key_prefix: str = "") -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError.for_extra("redis", "redis") from exc
        parts = urlsplit(uri)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self._prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX) + key_prefix
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        self._password = unquote(parts.password) if parts.password else None
        host = parts.hostname or "localhost"
        where = f"{host}:{parts.port}" if parts.port else host
        self._where = f"{parts.scheme}://{where}{parts.path}"  # for messages: no credentials
        self._errors = redis.RedisError
        self._retryable = (redis.ConnectionError, redis.TimeoutError)
        self._auth_error = redis.AuthenticationError
        self._client: redis.Redis = redis.Redis.from_url(urlunsplit(parts._replace(query=rest)))
        register = self._client.register_script
        self._read = register(READ)
        self._write_latest = register(WRITE_LATEST)
        self._overwrite = register(OVERWRITE)
        self._delete = register(DELETE)
        self._start_rebuild = register(START_REBUILD)
        self._switch = register(SWITCH)
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

        columns = list(table.schema.names)
        types = [table.schema.field(c).type for c in columns]
        base = f"{self._prefix}{table.name}:"
        prepared = _Prepared(
            columns=columns,
            key_at=[columns.index(c) for c in table.primary_key],
            time_at=columns.index(table.event_time),
            binary_at=[i for i, t in enumerate(types) if pt.is_binary(t) or pt.is_large_binary(t)],
            decode=row_decoder(table.schema, columns),
            base=base,
            generation=base + GENERATION,
        )
        self._prepared[table.name] = (table.schema, prepared)
        return prepared

    def _chunks(self, table: OnlineTable, rows: pa.Table, versions: Versions) -> Iterator[_Chunk]:
        """(row keys, values) of the rows, SCRIPT_KEYS at a time, encoded for the wire."""
        prepared = self._table(table)
        key_at, time_at = prepared.key_at, prepared.time_at
        encoded = encode_rows(rows, prepared.columns)
        stamps = version_list(versions, len(encoded))
        for start in range(0, len(encoded), SCRIPT_KEYS):
            keys: list[bytes] = []
            values: list[bytes] = []
            end = start + SCRIPT_KEYS
            for row, version in zip(encoded[start:end], stamps[start:end], strict=True):
                keys.append(_dumps([row[i] for i in key_at]).encode())
                if prepared.binary_at:
                    row = _with_base64(row, prepared.binary_at)
                values.append((_order_prefix(row[time_at], version) + _dumps(row)).encode())
            yield keys, values

    def _keys(self, keys: Sequence[Key]) -> list[str]:
        return [_dumps(list(encode_key(k))) for k in keys]

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

    def _run(
        self, action: str, script: Any, prepared: _Prepared, chunks: Iterator[list[Any]]
    ) -> list[Any]:
        """Run ``script`` on each chunk of row keys (and values), pipelined."""
        head = [prepared.generation]
        calls = (_script_call(script, head, [prepared.base, *chunk]) for chunk in chunks)
        return self._send(action, calls)

    def write_latest(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        chunks = self._chunks(table, rows, versions)
        self._run("write", self._write_latest, prepared, (_pairs(k, v) for k, v in chunks))

    def overwrite(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        chunks = self._chunks(table, rows, versions)
        self._run("write", self._overwrite, prepared, (_pairs(k, v) for k, v in chunks))

    def read(self, table: OnlineTable, keys: Sequence[Key]) -> list[Row | None]:
        prepared = self._table(table)
        names = self._keys(keys)
        chunks = [names[i : i + SCRIPT_KEYS] for i in range(0, len(names), SCRIPT_KEYS)]
        if len(chunks) == 1:  # the hot path of online serving: no pipeline
            with self._guard("read"):
                answers = [self._read(keys=[prepared.generation], args=[prepared.base, *names])]
        else:  # one transaction: a rebuild's switch lands before or after every chunk
            with self._guard("read"), self._client.pipeline(transaction=True) as pipe:
                for chunk in chunks:
                    _script_call(self._read, [prepared.generation], [prepared.base, *chunk])(pipe)
                answers = pipe.execute()
        values: list[Any] = []
        for found, chunk in zip(answers, chunks, strict=True):
            values.extend(found or [None] * len(chunk))  # no generation: nothing stored
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
        names = self._keys(keys)
        chunks = (names[i : i + SCRIPT_KEYS] for i in range(0, len(names), SCRIPT_KEYS))
        self._run("delete", self._delete, prepared, chunks)

    def replace_all(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        counter = prepared.base + NEXT_GENERATION
        with self._guard("rebuild"):
            generation = int(self._start_rebuild(keys=[prepared.generation, counter]))
        base = f"{prepared.base}{generation}:".encode()
        chunks = self._chunks(table, rows, versions)
        self._send(
            "rebuild",
            (_mset_call({base + k: v for k, v in zip(*chunk, strict=True)}) for chunk in chunks),
        )
        with self._guard("rebuild"):
            current = int(self._switch(keys=[prepared.generation], args=[generation]))
        self._unlink(prepared, lambda g: g is not None and g < current)

    def holds(self, table: OnlineTable) -> bool:
        prepared = self._table(table)
        with self._guard("read"):
            return bool(self._client.exists(prepared.generation))

    def drop(self, table: OnlineTable) -> None:
        self._unlink(self._table(table), lambda _: True)
        self._prepared.pop(table.name, None)

    def _unlink(self, prepared: _Prepared, generations: Callable[[int | None], bool]) -> None:
        """Delete the table's keys whose generation (None: bookkeeping keys) is chosen."""
        row_key = re.compile(re.escape(prepared.base.encode()) + rb"(\d+):")
        pattern = _glob_escape(prepared.base) + "*"
        with self._guard("drop"):
            batch: list[bytes] = []
            for name in self._client.scan_iter(match=pattern, count=1000):
                found = row_key.match(name)
                if generations(int(found.group(1)) if found else None):
                    batch.append(name)
                if len(batch) == 1000:
                    self._client.unlink(*batch)
                    batch = []
            if batch:
                self._client.unlink(*batch)

    def close(self) -> None:
        with self._guard("close"):
            self._client.close()


def _pairs(keys: list[bytes], values: list[bytes]) -> list[bytes]:
    return [item for pair in zip(keys, values, strict=True) for item in pair]


def _with_base64(row: tuple[Any, ...], binary_at: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in binary_at:
        if values[i] is not None:
            values[i] = base64.b64encode(values[i]).decode("ascii")
    return tuple(values)


def _script_call(script: Any, keys: list[str], args: list[Any]) -> Callable[[Any], Any]:
    return lambda pipe: script(keys=keys, args=args, client=pipe)


def _mset_call(mapping: dict[bytes, bytes]) -> Callable[[Any], Any]:
    return lambda pipe: pipe.mset(mapping)
