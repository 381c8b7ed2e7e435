"""The shared online store on Redis: one string key per row.

Keys of a table start with its root ``{prefix}{key_prefix}{table}:``: the URI's ``prefix``,
then the project's key prefix (projects sharing one Redis never see each other's rows).
Under the root, the storage format's tag (``b1:``, binary format 1) starts every key
(``base``). Under it, ``generation`` holds the table's current generation and a row is
the key ``{generation}:{key}``, where ``key`` is the JSON list of the encoded primary key
values. A rebuild fills the next generation aside, switches ``generation`` with one SET
(readers see the old rows until then, all the new ones after) and deletes the old
generations. The ``generation`` key is also the table's marker: if Redis loses it (a
restart without persistence, a flush, an eviction) ``holds`` says so, and the caller
rebuilds.

Value (binary format 1), every integer big-endian: the ordering prefix, 8 bytes of event
time (microseconds + 2**63, so never negative; 0 for a null time) and 8 bytes of the
offline version it came from; then the width in bytes of the fixed blob and of the null
bitmap (4 bytes each); the fixed blob and null bitmap of every column, keys included,
laid out as ``packing`` lays them out for SQLite (the bitmap is empty when the written
batch had no null); then, when the schema has variable-width columns, the JSON list of
their values (binary as base64). Columns are only ever appended to a schema, so a row
written before the schema grew reads its new columns as None.

Format versions: a table written by featurehouse before format 1 (a JSON row after a
40-digit prefix, keys ``{root}generation`` and ``{root}{generation}:{key}``) has no
``{root}b1:generation``: ``holds`` says False and nothing reads as stored, so the caller
rebuilds; the rebuild (and ``drop``) deletes the older format's keys. A later format
takes a new tag.

Reads and writes are Lua scripts that look the generation up and use it in one step, so
no reader or writer can straddle a switch. ``write_latest`` compares ordering prefixes
inside Redis (one MGET, then one MSET of the rows to keep, per script call), so two
writers cannot interleave between the read and the write of one key; it compares the
prefix as four 32-bit numbers, each exact in a Lua double (Lua's ``<`` on strings would
follow the server's collation locale). A chunk of rows travels to a script in three
arguments, not two per row: redis-py spends more per argument than the script does.
(The scripts name row keys they build themselves, which a standalone Redis allows and
Redis Cluster does not.)
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pt

from featurehouse.errors import BackendError, MissingDependencyError
from featurehouse.online.base import Key, Row, Versions, version_list
from featurehouse.online.codec import encode_column, encode_key
from featurehouse.online.packing import (
    RowLayout,
    fixed_values,
    null_bitmaps,
    row_assembler,
)
from featurehouse.types import OnlineTable

if TYPE_CHECKING:
    import numpy as np
    import redis

DEFAULT_PREFIX = "fh:"
FORMAT = "b1:"  # the storage format's tag, first under a table's root
SCRIPT_KEYS = 500  # keys per script call
PIPELINE_CALLS = 20  # script (or MSET, MGET, DEL) calls sent per round trip
ROUND_ROWS = SCRIPT_KEYS * PIPELINE_CALLS  # rows encoded at a time: one round trip's worth
TIME_OFFSET = 2**63  # event time (µs) + offset is in [0, 2**64)
HEADER = struct.Struct(">QQII")  # event time, version, fixed blob width, null bitmap width
GENERATION = "generation"  # under a table's base: its current generation (and marker)
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

# Writes get a chunk of rows in three arguments after the prefix, since redis-py spends
# more per argument than the script: ARGV[2] the row keys joined by newlines (a JSON text
# holds none), ARGV[3] the values end to end, ARGV[4] their lengths, comma separated.
_UNPACK = """
local function chunk(base)
  local names, values = {}, {}
  for key in string.gmatch(ARGV[2], '[^\\n]+') do names[#names + 1] = base .. key end
  local at = 1
  for length in string.gmatch(ARGV[4], '%d+') do
    local after = at + tonumber(length)
    values[#values + 1] = string.sub(ARGV[3], at, after - 1)
    at = after
  end
  return names, values
end
"""

# Keeps each stored row whose ordering prefix (its first 16 bytes) is greater. The prefixes
# are compared as four 32-bit numbers, each exact in a Lua double.
WRITE_LATEST = (
    _ROWS
    + _UNPACK
    + """
local function at_most(stored, new)
  local s1, s2, s3, s4 = struct.unpack('>I4I4I4I4', stored)
  local n1, n2, n3, n4 = struct.unpack('>I4I4I4I4', new)
  if s1 ~= n1 then return s1 < n1 end
  if s2 ~= n2 then return s2 < n2 end
  if s3 ~= n3 then return s3 < n3 end
  return s4 <= n4
end
local names, values = chunk(rows(true))
local stored = redis.call('MGET', unpack(names))
local writes = {}
for i = 1, #names do
  if (not stored[i]) or at_most(stored[i], values[i]) then
    writes[#writes + 1] = names[i]
    writes[#writes + 1] = values[i]
  end
end
if #writes > 0 then redis.call('MSET', unpack(writes)) end
return #writes / 2
"""
)

OVERWRITE = (
    _ROWS
    + _UNPACK
    + """
local names, values = chunk(rows(true))
local writes = {}
for i = 1, #names do
  writes[2 * i - 1] = names[i]
  writes[2 * i] = values[i]
end
redis.call('MSET', unpack(writes))
return #names
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


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


@dataclass
class _Prepared:
    """Positions and codecs of one table, built once per process and schema."""

    layout: RowLayout  # every column, keys included
    key_columns: list[str]
    time: str  # the event time column
    binary_at: list[int]  # positions in layout.variable of binary columns (base64 in JSON)
    assemble: Callable[[Sequence[Any], list[Any], Sequence[Any]], Row]
    root: str  # the prefix of every key of the table, in any format
    base: str  # the prefix of every key of the table in this format
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
        # Views and predictors hold equal copies of one schema: compare by value when not
        # the same object, or they would evict each other's entry on every other call.
        if cached is not None and (cached[0] is table.schema or cached[0].equals(table.schema)):
            return cached[1]

        schema = table.schema
        layout = RowLayout(schema, schema.names)
        root = f"{self._prefix}{table.name}:"
        base = root + FORMAT
        binary = [pt.is_binary(schema.field(c).type) for c in layout.variable]
        prepared = _Prepared(
            layout=layout,
            key_columns=list(table.primary_key),
            time=table.event_time,
            binary_at=[i for i, is_binary in enumerate(binary) if is_binary],
            assemble=row_assembler(schema.names, layout, []),
            root=root,
            base=base,
            generation=base + GENERATION,
        )
        self._prepared[table.name] = (schema, prepared)
        return prepared

    def _chunks(self, table: OnlineTable, rows: pa.Table, versions: Versions) -> Iterator[_Chunk]:
        """(row keys, values) of the rows, SCRIPT_KEYS at a time, encoded for the wire."""
        prepared = self._table(table)
        stamps = versions if isinstance(versions, int) else version_list(versions, rows.num_rows)
        for start in range(0, rows.num_rows, ROUND_ROWS):
            part = rows.slice(start, ROUND_ROWS)
            part_stamps = stamps if isinstance(stamps, int) else stamps[start : start + ROUND_ROWS]
            keys = _key_names(prepared, part)
            values = _values(prepared, part, part_stamps)
            for i in range(0, len(keys), SCRIPT_KEYS):
                yield keys[i : i + SCRIPT_KEYS], values[i : i + SCRIPT_KEYS]

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
        self._run("write", self._write_latest, prepared, (_packed(k, v) for k, v in chunks))

    def overwrite(self, table: OnlineTable, rows: pa.Table, versions: Versions = 0) -> None:
        prepared = self._table(table)
        chunks = self._chunks(table, rows, versions)
        self._run("write", self._overwrite, prepared, (_packed(k, v) for k, v in chunks))

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
        return [None if value is None else _decode(prepared, value) for value in values]

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
        """Delete the table's keys whose generation is chosen: a row's generation, None for
        this format's bookkeeping keys, -1 for every key of an older format."""
        own = prepared.base.encode()
        row_key = re.compile(re.escape(own) + rb"(\d+):")
        pattern = _glob_escape(prepared.root) + "*"
        with self._guard("drop"):
            batch: list[bytes] = []
            for name in self._client.scan_iter(match=pattern, count=1000):
                found = row_key.match(name)
                generation = int(found.group(1)) if found else None
                if generation is None and not name.startswith(own):
                    generation = -1
                if generations(generation):
                    batch.append(name)
                if len(batch) == 1000:
                    self._client.unlink(*batch)
                    batch = []
            if batch:
                self._client.unlink(*batch)

    def close(self) -> None:
        with self._guard("close"):
            self._client.close()


def _packed(keys: list[bytes], values: list[bytes]) -> list[bytes]:
    """A chunk of rows as the write scripts take it (see _UNPACK)."""
    return [b"\n".join(keys), b"".join(values), ",".join([str(len(v)) for v in values]).encode()]


def _script_call(script: Any, keys: list[str], args: list[Any]) -> Callable[[Any], Any]:
    return lambda pipe: script(keys=keys, args=args, client=pipe)


def _mset_call(mapping: dict[bytes, bytes]) -> Callable[[Any], Any]:
    return lambda pipe: pipe.mset(mapping)


def _key_names(prepared: _Prepared, rows: pa.Table) -> list[bytes]:
    """Each row's key: the JSON list of its encoded key values (as ``_keys`` makes them)."""
    texts = [_key_texts(rows.column(c)) for c in prepared.key_columns]
    joined = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(*texts, ",")
    listed = pc.binary_join_element_wise("[", joined, "]", "")
    names: list[bytes] = listed.cast(pa.binary()).to_pylist()
    return names


def _key_texts(column: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A key column as JSON texts: integers (and times as integers) by Arrow, at once."""
    t = column.type
    if pt.is_timestamp(t) or pt.is_date32(t):
        return pa.array(fixed_values(column)).cast(pa.string())
    if pt.is_integer(t):
        return column.cast(pa.string())
    return pa.array([_dumps(v) for v in encode_column(column)], pa.string())


def _values(prepared: _Prepared, rows: pa.Table, versions: int | list[int]) -> list[bytes]:
    """Each row's stored value (see the module docstring), built by numpy at once."""
    import numpy as np

    layout = prepared.layout
    with_nulls = any(rows.column(c).null_count for c in layout.fixed)
    width = (len(layout.fixed) + 7) // 8 if with_nulls else 0
    fields: list[Any] = [("time", ">u8"), ("version", ">u8"), ("fixed", ">u4"), ("nulls", ">u4")]
    fields += layout.fields()
    if width:
        fields.append(("bitmap", "u1", (width,)))
    dtype = np.dtype(fields)
    record = np.empty(rows.num_rows, dtype=dtype)
    record["time"] = _ordering_times(rows.column(prepared.time))
    record["version"] = versions
    record["nulls"] = width
    record["fixed"] = dtype.itemsize - HEADER.size - width
    nulls = layout.fill(record, rows)
    if nulls is not None:
        record["bitmap"] = null_bitmaps(nulls)
    heads: list[bytes] = record.view(np.dtype(("V", dtype.itemsize))).tolist()
    if not layout.variable:
        return heads
    variable = layout.variable_values(rows)
    for i in prepared.binary_at:
        variable[i] = [None if v is None else base64.b64encode(v).decode() for v in variable[i]]
    return [h + _dumps(v).encode() for h, v in zip(heads, zip(*variable, strict=True), strict=True)]


def _ordering_times(column: pa.ChunkedArray) -> np.ndarray:
    """Event times as unsigned integers that sort like them; 0 (the oldest) for a null."""
    import numpy as np

    times: np.ndarray = fixed_values(column).astype(np.int64).view(np.uint64) ^ np.uint64(
        TIME_OFFSET
    )
    if column.null_count:
        times[column.is_null().to_numpy(zero_copy_only=False)] = 0
    return times


def _decode(prepared: _Prepared, value: bytes) -> Row:
    layout = prepared.layout
    _, _, fixed, nulls = HEADER.unpack_from(value)
    end = HEADER.size + fixed
    values = layout.unpack(value[HEADER.size : end], value[end : end + nulls] or None)
    rest = value[end + nulls :]
    width = len(layout.variable)
    variable: list[Any] = json.loads(rest) if rest else []
    if len(variable) < width:  # written before the schema grew
        variable.extend([None] * (width - len(variable)))
    elif len(variable) > width:  # written by a process that knows a newer schema
        del variable[width:]
    for i in prepared.binary_at:
        if variable[i] is not None:
            variable[i] = base64.b64decode(variable[i])
    for i, decode in enumerate(layout.variable_decoders):
        if decode is not None and variable[i] is not None:
            variable[i] = decode(variable[i])
    return prepared.assemble((), values, variable)
