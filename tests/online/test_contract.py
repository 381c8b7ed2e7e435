"""The online store contract, run against every backend (SQLite file, real Redis)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featurehouse.errors import BackendError
from featurehouse.online.base import OnlineStore, open_online_store, read_table
from featurehouse.online.keys import conform_key_value
from featurehouse.types import OnlineTable

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")

SCHEMA = pa.schema([("id", pa.int64()), ("ts", TS), ("amount", pa.float64())])
TABLE = OnlineTable("accounts_v1", SCHEMA, ("id",), "ts")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rows(table: OnlineTable, *items: tuple[Any, ...]) -> pa.Table:
    """Tuples in ``table.schema`` order -> an Arrow table."""
    columns = list(zip(*items, strict=True)) if items else [()] * len(table.schema)
    return pa.table(
        {f.name: pa.array(list(c), type=f.type) for f, c in zip(table.schema, columns, strict=True)}
    )


def amounts(store: OnlineStore, table: OnlineTable, ids: list[int]) -> list[float | None]:
    return [None if r is None else r["amount"] for r in store.read(table, [(i,) for i in ids])]


@pytest.fixture(
    params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)],
)
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/online.db"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def store(uri: str) -> Iterator[OnlineStore]:
    opened = open_online_store(uri)
    yield opened
    opened.close()


def test_write_then_read_every_type(store: OnlineStore) -> None:
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("ts", TS),
            ("count", pa.int64()),
            ("score", pa.float64()),
            ("name", pa.string()),
            ("active", pa.bool_()),
            ("seen", TS),
            ("born", pa.date32()),
            ("missing", pa.float64()),
        ]
    )
    table = OnlineTable("types_v1", schema, ("id",), "ts")
    seen = datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=UTC)
    store.write_latest(
        table,
        rows(
            table,
            (1, at(0), 2**53 + 1, 0.1, "héllo", True, seen, date(1999, 12, 31), None),
            (2, at(1), -7, -1e300, "", False, None, date(1960, 1, 1), 2.5),
        ),
    )
    assert store.read(table, [(1,), (2,)]) == [
        {
            "id": 1,
            "ts": at(0),
            "count": 2**53 + 1,
            "score": 0.1,
            "name": "héllo",
            "active": True,
            "seen": seen,
            "born": date(1999, 12, 31),
            "missing": None,
        },
        {
            "id": 2,
            "ts": at(1),
            "count": -7,
            "score": -1e300,
            "name": "",
            "active": False,
            "seen": None,
            "born": date(1960, 1, 1),
            "missing": 2.5,
        },
    ]
    first = store.read(table, [(1,)])[0]
    assert first is not None
    assert type(first["active"]) is bool
    assert first["ts"].utcoffset() == timedelta(0)
    got, found = read_table(store, table, [(2,), (1,)])
    assert got.schema.types == schema.types
    assert got.to_pylist() == list(reversed(store.read(table, [(1,), (2,)])))
    assert found.tolist() == [True, True]


def test_unknown_keys_read_as_none(store: OnlineStore) -> None:
    assert store.read(TABLE, [(1,)]) == [None]  # a table never written
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
    assert amounts(store, TABLE, [2, 1, 3]) == [None, 1.0, None]
    assert store.read(TABLE, []) == []


def test_many_keys_in_one_call(store: OnlineStore) -> None:
    ids = list(range(2_500))
    store.write_latest(TABLE, rows(TABLE, *((i, at(i), float(i)) for i in ids)))
    assert amounts(store, TABLE, [*ids, -1]) == [*(float(i) for i in ids), None]
    store.write_latest(TABLE, rows(TABLE, *((i, at(i - 1), -1.0) for i in ids)))  # all older
    assert amounts(store, TABLE, ids) == [float(i) for i in ids]
    store.delete(TABLE, [(i,) for i in ids[::2]])
    assert amounts(store, TABLE, ids) == [None if i % 2 == 0 else float(i) for i in ids]


def test_composite_primary_key(store: OnlineStore) -> None:
    schema = pa.schema(
        [("user", pa.int64()), ("country", pa.string()), ("ts", TS), ("spend", pa.float64())]
    )
    table = OnlineTable("spend_v1", schema, ("user", "country"), "ts")
    store.write_latest(
        table,
        rows(table, (1, "fr", at(0), 10.0), (1, "de", at(0), 20.0), (2, "fr", at(0), 30.0)),
    )
    found = store.read(table, [(1, "de"), (2, "de"), (1, "fr"), (2, "fr")])
    assert [None if r is None else r["spend"] for r in found] == [20.0, None, 10.0, 30.0]
    assert found[0] == {"user": 1, "country": "de", "ts": at(0), "spend": 20.0}
    store.delete(table, [(1, "fr")])
    assert [r is None for r in store.read(table, [(1, "fr"), (1, "de")])] == [True, False]


def test_keys_of_time_types(store: OnlineStore) -> None:
    schema = pa.schema([("day", pa.date32()), ("at", TS), ("ts", TS), ("n", pa.int64())])
    table = OnlineTable("daily_v1", schema, ("day", "at"), "ts")
    store.write_latest(table, rows(table, (date(2026, 1, 2), at(5), at(9), 3)))
    found = store.read(table, [(date(2026, 1, 2), at(5)), (date(2026, 1, 2), at(6))])
    assert found == [{"day": date(2026, 1, 2), "at": at(5), "ts": at(9), "n": 3}, None]


def test_the_latest_event_time_wins(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 1.0), (2, at(10), 2.0)))
    store.write_latest(TABLE, rows(TABLE, (1, at(5), 9.0), (2, at(11), 3.0), (3, at(0), 4.0)))
    assert amounts(store, TABLE, [1, 2, 3]) == [1.0, 3.0, 4.0]
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 1.5)))  # equal time: a correction
    assert amounts(store, TABLE, [1]) == [1.5]
    found = store.read(TABLE, [(2,)])[0]
    assert found is not None and found["ts"] == at(11)


def test_equal_event_times_are_ordered_by_offline_version(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 1.0), (2, at(10), 2.0)), versions=7)
    # a slow writer of an earlier commit arrives last: it must not undo the later correction
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 0.5)), versions=6)
    store.write_latest(TABLE, rows(TABLE, (1, at(9), 0.9), (2, at(10), 2.5)), versions=[9, 8])
    assert amounts(store, TABLE, [1, 2]) == [1.0, 2.5]
    # a greater event time wins whatever its version
    store.write_latest(TABLE, rows(TABLE, (1, at(11), 1.1)), versions=3)
    assert amounts(store, TABLE, [1]) == [1.1]
    # 20-digit versions compare exactly
    store.write_latest(TABLE, rows(TABLE, (3, at(0), 3.0)), versions=2**62 + 1)
    store.write_latest(TABLE, rows(TABLE, (3, at(0), 3.5)), versions=2**62)
    assert amounts(store, TABLE, [3]) == [3.0]


def test_versions_follow_their_rows_whatever_the_key_order(store: OnlineStore) -> None:
    # rows arrive out of key order with a version each; a store that sorts rows by key
    # must carry each version with its row
    store.write_latest(TABLE, rows(TABLE, (2, at(10), 2.0), (1, at(10), 1.0)), versions=[5, 9])
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 1.5), (2, at(10), 2.5)), versions=7)
    assert amounts(store, TABLE, [1, 2]) == [1.0, 2.5]


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        (datetime(1960, 1, 1, tzinfo=UTC), datetime(1965, 1, 1, tzinfo=UTC)),  # before 1970
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)),
        # one microsecond apart where a double cannot tell microseconds apart
        (
            datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        ),
    ],
)
def test_event_times_compare_exactly(store: OnlineStore, older: datetime, newer: datetime) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, newer, 2.0)))
    store.write_latest(TABLE, rows(TABLE, (1, older, 1.0)))
    assert amounts(store, TABLE, [1]) == [2.0]
    store.write_latest(TABLE, rows(TABLE, (2, older, 1.0)))
    store.write_latest(TABLE, rows(TABLE, (2, newer, 2.0)))
    assert amounts(store, TABLE, [2]) == [2.0]


def test_overwrite_ignores_event_time(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(10), 1.0), (2, at(10), 2.0)))
    store.overwrite(TABLE, rows(TABLE, (1, at(0), 5.0), (3, at(0), 6.0)))
    assert amounts(store, TABLE, [1, 2, 3]) == [5.0, 2.0, 6.0]
    found = store.read(TABLE, [(1,)])[0]
    assert found is not None and found["ts"] == at(0)
    store.write_latest(TABLE, rows(TABLE, (1, at(1), 7.0)))  # newer than the repaired row
    assert amounts(store, TABLE, [1]) == [7.0]


def test_empty_writes_are_allowed(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE))
    store.overwrite(TABLE, rows(TABLE))
    store.delete(TABLE, [])
    assert amounts(store, TABLE, [1]) == [None]


def test_delete(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0), (2, at(0), 2.0)))
    store.delete(TABLE, [(1,), (99,)])  # unknown keys are ignored
    assert amounts(store, TABLE, [1, 2]) == [None, 2.0]
    store.write_latest(TABLE, rows(TABLE, (1, at(-5), 3.0)))  # a deleted key takes any row
    assert amounts(store, TABLE, [1]) == [3.0]


def test_drop_removes_only_its_table(store: OnlineStore) -> None:
    other = OnlineTable("accounts_v2", SCHEMA, ("id",), "ts")
    store.write_latest(TABLE, rows(TABLE, *((i, at(0), float(i)) for i in range(1_500))))
    store.write_latest(other, rows(other, (1, at(0), 100.0)))
    store.drop(TABLE)
    assert amounts(store, TABLE, [0, 1, 1_499]) == [None, None, None]
    assert amounts(store, other, [1]) == [100.0]
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))  # usable again after a drop
    assert amounts(store, TABLE, [1]) == [1.0]
    store.drop(other)
    store.drop(other)  # dropping nothing is fine
    assert amounts(store, other, [1]) == [None]


def test_read_table_answers_in_key_order(store: OnlineStore) -> None:
    """A row per key, as asked: missing keys give nulls, repeated keys their row again."""
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0), (2, at(1), None), (3, at(2), 3.0)))
    got, found = read_table(store, TABLE, [(9,), (3,), (1,), (3,), (2,), (8,)])
    assert found.dtype == bool
    assert found.tolist() == [False, True, True, True, True, False]
    empty = {"id": None, "ts": None, "amount": None}
    assert got.to_pylist() == [
        empty,
        {"id": 3, "ts": at(2), "amount": 3.0},
        {"id": 1, "ts": at(0), "amount": 1.0},
        {"id": 3, "ts": at(2), "amount": 3.0},
        {"id": 2, "ts": at(1), "amount": None},
        empty,
    ]
    assert got.schema.types == SCHEMA.types


def test_read_table_of_no_keys_or_no_rows(store: OnlineStore) -> None:
    got, found = read_table(store, TABLE, [])
    assert (got.num_rows, got.column_names, got.schema.types) == (0, SCHEMA.names, SCHEMA.types)
    assert found.tolist() == []
    got, found = read_table(store, TABLE, [(1,), (2,)])  # a table never written
    assert got.to_pylist() == [{"id": None, "ts": None, "amount": None}] * 2
    assert found.tolist() == [False, False]


def test_read_table_reads_rows_of_every_schema_age(store: OnlineStore) -> None:
    """Rows written before columns were added (a shorter blob, fixed and variable columns
    missing) read them as null beside newer rows; a reader that knows fewer columns reads
    its own."""
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0), (2, at(0), None)))
    grown = OnlineTable(
        TABLE.name,
        SCHEMA.append(pa.field("n", pa.int32()))
        .append(pa.field("tier", pa.string()))
        .append(pa.field("on", pa.bool_())),
        TABLE.primary_key,
        "ts",
    )
    store.write_latest(
        grown, rows(grown, (3, at(0), 3.0, 7, "gold", False), (4, at(0), 4.0, None, None, True))
    )
    got, found = read_table(store, grown, [(1,), (3,), (2,), (4,)])
    assert found.tolist() == [True] * 4
    assert got.to_pylist() == [
        {"id": 1, "ts": at(0), "amount": 1.0, "n": None, "tier": None, "on": None},
        {"id": 3, "ts": at(0), "amount": 3.0, "n": 7, "tier": "gold", "on": False},
        {"id": 2, "ts": at(0), "amount": None, "n": None, "tier": None, "on": None},
        {"id": 4, "ts": at(0), "amount": 4.0, "n": None, "tier": None, "on": True},
    ]
    assert got.schema.types == grown.schema.types
    some, _ = read_table(store, grown, [(3,), (1,)], ["on", "amount"])
    assert some.to_pylist() == [{"on": False, "amount": 3.0}, {"on": None, "amount": 1.0}]
    old, _ = read_table(store, TABLE, [(4,), (1,)])
    assert old.to_pylist() == [
        {"id": 4, "ts": at(0), "amount": 4.0},
        {"id": 1, "ts": at(0), "amount": 1.0},
    ]


def test_read_table_with_keys_of_time_types(store: OnlineStore) -> None:
    schema = pa.schema([("day", pa.date32()), ("at", TS), ("ts", TS), ("flag", pa.bool_())])
    table = OnlineTable("timed_v1", schema, ("day", "at"), "ts")
    moment = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    store.write_latest(table, rows(table, (date(1900, 1, 1), moment, at(0), True)))
    got, found = read_table(store, table, [(date(1900, 1, 2), moment), (date(1900, 1, 1), moment)])
    assert found.tolist() == [False, True]
    assert got.to_pylist()[1] == {"day": date(1900, 1, 1), "at": moment, "ts": at(0), "flag": True}
    assert got.schema.types == schema.types


def test_schema_growth_adds_columns_at_the_end(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
    grown = OnlineTable(
        TABLE.name, SCHEMA.append(pa.field("tier", pa.string())), TABLE.primary_key, "ts"
    )
    assert store.read(grown, [(1,)]) == [{"id": 1, "ts": at(0), "amount": 1.0, "tier": None}]
    store.write_latest(grown, rows(grown, (2, at(0), 2.0, "gold")))
    assert store.read(grown, [(2,)]) == [{"id": 2, "ts": at(0), "amount": 2.0, "tier": "gold"}]
    # a reader that still knows the old schema sees the old columns
    assert store.read(TABLE, [(2,)]) == [{"id": 2, "ts": at(0), "amount": 2.0}]


def test_schema_growth_adds_fixed_width_columns_and_keeps_nulls(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0), (2, at(0), None)))
    grown = OnlineTable(
        TABLE.name,
        SCHEMA.append(pa.field("score", pa.float64())).append(pa.field("flag", pa.bool_())),
        TABLE.primary_key,
        "ts",
    )
    assert store.read(grown, [(1,), (2,)]) == [
        {"id": 1, "ts": at(0), "amount": 1.0, "score": None, "flag": None},
        {"id": 2, "ts": at(0), "amount": None, "score": None, "flag": None},
    ]
    store.write_latest(grown, rows(grown, (3, at(0), None, 0.5, True), (4, at(0), 4.0, None, None)))
    assert store.read(grown, [(3,), (4,)]) == [
        {"id": 3, "ts": at(0), "amount": None, "score": 0.5, "flag": True},
        {"id": 4, "ts": at(0), "amount": 4.0, "score": None, "flag": None},
    ]
    # a reader that still knows the old schema sees the old columns, nulls included
    assert store.read(TABLE, [(3,), (4,)]) == [
        {"id": 3, "ts": at(0), "amount": None},
        {"id": 4, "ts": at(0), "amount": 4.0},
    ]


def test_special_floats_extreme_ints_and_unicode_read_back(store: OnlineStore) -> None:
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("ts", TS),
            ("x", pa.float64()),
            ("n", pa.int64()),
            ("b", pa.binary()),
            ("s", pa.string()),
        ]
    )
    table = OnlineTable("special_v1", schema, ("id",), "ts")
    values = [
        ('é☃🙂\n"', at(0), float("inf"), 2**63 - 1, b"\x00\n\xff", ""),
        ("", at(0), float("-inf"), -(2**63), b"", "line\nbreak"),
        ("[1]", at(0), float("nan"), 0, None, None),
    ]
    store.write_latest(table, rows(table, *values))
    found = store.read(table, [(v[0],) for v in values])
    assert [r and (r["n"], r["b"], r["s"], r["id"]) for r in found] == [
        (v[3], v[4], v[5], v[0]) for v in values
    ]
    xs = [r and r["x"] for r in found]
    assert xs[0] == float("inf") and xs[1] == float("-inf") and xs[2] != xs[2]


def test_a_second_store_on_the_same_uri_sees_writes_and_drops(uri: str) -> None:
    writer, reader = open_online_store(uri), open_online_store(uri)
    try:
        writer.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
        assert amounts(reader, TABLE, [1]) == [1.0]
        writer.drop(TABLE)
        assert amounts(reader, TABLE, [1]) == [None]
        writer.write_latest(TABLE, rows(TABLE, (1, at(1), 2.0)))
        assert amounts(reader, TABLE, [1]) == [2.0]
    finally:
        writer.close()
        reader.close()


# One operation of the property test: ("write" | "overwrite", {id: (second, amount)}) or
# ("delete", [ids]). Dict batches hold one row per key, as write_latest requires.
IDS = st.integers(0, 4)
BATCH = st.dictionaries(IDS, st.tuples(st.integers(0, 3), st.none() | st.integers(-9, 9)))
OPERATION = st.one_of(
    st.tuples(st.sampled_from(["write", "write", "overwrite"]), BATCH),
    st.tuples(st.just("delete"), st.lists(IDS, max_size=3)),
)
_tables = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(OPERATION, max_size=8))
def test_matches_a_dict_reference(store: OnlineStore, operations: list[tuple[str, Any]]) -> None:
    schema = pa.schema([("id", pa.int64()), ("ts", TS), ("amount", pa.int64())])
    table = OnlineTable(f"prop_{next(_tables)}_v1", schema, ("id",), "ts")
    reference: dict[int, tuple[int, int | None]] = {}
    for op, arg in operations:
        if op == "delete":
            store.delete(table, [(i,) for i in arg])
            for i in arg:
                reference.pop(i, None)
            continue
        batch = rows(table, *((i, at(s), a) for i, (s, a) in arg.items()))
        if op == "write":
            store.write_latest(table, batch)
            for i, (s, a) in arg.items():
                if i not in reference or reference[i][0] <= s:
                    reference[i] = (s, a)
        else:
            store.overwrite(table, batch)
            reference.update(arg)
        expected = [
            {"id": i, "ts": at(reference[i][0]), "amount": reference[i][1]}
            if i in reference
            else None
            for i in range(5)
        ]
        assert store.read(table, [(i,) for i in range(5)]) == expected
    store.drop(table)


# Backend specifics: Redis keys live under the URI's prefix, and errors hide passwords.


@pytest.mark.redis
def test_redis_prefixes_keep_stores_apart(redis_url: str) -> None:
    first = open_online_store(redis_url)
    second = open_online_store(redis_url + "other:")  # a prefix nested in the first
    try:
        first.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
        assert amounts(second, TABLE, [1]) == [None]
        second.write_latest(TABLE, rows(TABLE, (1, at(0), 2.0)))
        second.drop(TABLE)
        assert amounts(first, TABLE, [1]) == [1.0]
    finally:
        first.close()
        second.close()


def test_redis_connection_errors_are_retryable_and_hide_the_password() -> None:
    pytest.importorskip("redis")
    store = open_online_store("redis://:s3cret-pw@127.0.0.1:1/0?socket_connect_timeout=1")
    with pytest.raises(BackendError) as caught:
        store.read(TABLE, [(1,)])
    assert caught.value.retryable
    assert "s3cret-pw" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)
    store.close()


# Every type a feature group accepts (types.storage_type) reads back as the offline
# table holds it, as Python values: nested values included, items typed as they were.

EVERY_TYPE = pa.schema(
    [
        ("id", pa.int64()),
        ("ts", TS),
        ("b", pa.bool_()),
        ("i8", pa.int8()),
        ("i16", pa.int16()),
        ("i32", pa.int32()),
        ("i64", pa.int64()),
        ("f32", pa.float32()),
        ("f64", pa.float64()),
        ("dec", pa.decimal128(38, 9)),
        ("s", pa.string()),
        ("bin", pa.binary()),
        ("d", pa.date32()),
        ("t", TS),
        ("l_bin", pa.list_(pa.binary())),
        ("l_ts", pa.list_(TS)),
        ("l_f64", pa.list_(pa.float64())),
        ("l_l_i8", pa.list_(pa.list_(pa.int8()))),
        ("st_dec", pa.struct([("x", pa.decimal128(10, 2)), ("y", pa.string())])),
        (
            "l_st",
            pa.list_(pa.struct([("d", pa.date32()), ("f", pa.float32()), ("b", pa.binary())])),
        ),
        ("st_l", pa.struct([("ts", pa.list_(TS)), ("n", pa.struct([("b", pa.bool_())]))])),
    ]
)
EVERY_TYPE_TABLE = OnlineTable("every_type_v1", EVERY_TYPE, ("id",), "ts")
FAR_PAST = datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def _values(t: pa.DataType) -> st.SearchStrategy[Any]:
    """Any Python value (or None) of Arrow type ``t``, edge cases included."""
    if pa.types.is_boolean(t):
        scalar: st.SearchStrategy[Any] = st.booleans()
    elif pa.types.is_integer(t):
        scalar = st.integers(-(2 ** (t.bit_width - 1)), 2 ** (t.bit_width - 1) - 1)
    elif pa.types.is_float32(t):
        scalar = st.floats(width=32)
    elif pa.types.is_floating(t):
        scalar = st.floats()
    elif pa.types.is_decimal(t):
        scalar = st.decimals(places=t.scale, allow_nan=False, allow_infinity=False).filter(
            lambda d: len(d.as_tuple().digits) <= t.precision
        )
    elif pa.types.is_string(t):
        scalar = st.text()
    elif pa.types.is_binary(t):
        scalar = st.binary()
    elif pa.types.is_date(t):
        scalar = st.dates()
    elif pa.types.is_timestamp(t):
        scalar = st.datetimes(FAR_PAST.replace(tzinfo=None), FAR_FUTURE.replace(tzinfo=None)).map(
            lambda d: d.replace(tzinfo=UTC)
        )
    elif pa.types.is_list(t):
        scalar = st.lists(_values(t.value_type), max_size=3)
    else:
        scalar = st.fixed_dictionaries({f.name: _values(f.type) for f in t})
    return st.none() | scalar


def _same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(
        st.fixed_dictionaries({f.name: _values(f.type) for f in EVERY_TYPE if f.name != "id"}),
        min_size=1,
        max_size=4,
    )
)
def test_every_accepted_type_reads_back_as_offline_holds_it(
    store: OnlineStore, values: list[dict[str, Any]]
) -> None:
    batch = pa.Table.from_pylist(
        [{**v, "id": i, "ts": v["ts"] or at(0)} for i, v in enumerate(values)], EVERY_TYPE
    )
    store.write_latest(EVERY_TYPE_TABLE, batch)
    found = store.read(EVERY_TYPE_TABLE, [(i,) for i in range(len(values))])
    expected = batch.to_pylist()  # what the offline store gives back for these rows
    assert all(_same(f, e) for f, e in zip(found, expected, strict=True)), (found, expected)
    # columnar: every row again, in reverse, beside a key with no row
    keys = [(i,) for i in reversed(range(len(values)))] + [(len(values),)]
    table, present = read_table(store, EVERY_TYPE_TABLE, keys)
    assert table.schema.types == EVERY_TYPE.types
    assert present.tolist() == [True] * len(values) + [False]
    got = table.to_pylist()
    assert got[-1] == dict.fromkeys(EVERY_TYPE.names)
    assert all(_same(g, e) for g, e in zip(got, reversed(expected), strict=False)), (got, expected)
    store.drop(EVERY_TYPE_TABLE)


# Key lookups: every key type answers alike on every store, once keys are conformed to
# their column's type (online.keys), from whatever Python or numpy value they came as.

KEY_CASES = [
    (pa.int8(), [-128, 0, 127], [np.int8(-128), np.int64(0), 127.0]),
    (pa.int16(), [-(2**15), 2**15 - 1], [np.int16(-(2**15)), np.float64(2**15 - 1)]),
    (pa.int32(), [-(2**31), 2**31 - 1], [np.int32(-(2**31)), np.int64(2**31 - 1)]),
    (pa.int64(), [-(2**63), 2**63 - 1, 0], [np.int64(-(2**63)), np.int64(2**63 - 1), np.int32(0)]),
    (pa.string(), ["", "é☃🙂", "1"], [np.str_(""), "é☃🙂", np.str_("1")]),
    (pa.binary(), [b"", b"\x00\xff"], [np.bytes_(b""), b"\x00\xff"]),
    (
        TS,
        [FAR_PAST, datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=UTC), FAR_FUTURE],
        [
            FAR_PAST,
            np.datetime64("2024-02-29T12:00:00.123456"),
            FAR_FUTURE.replace(tzinfo=None),
        ],
    ),
    (
        pa.date32(),
        [date(1, 1, 1), date(9999, 12, 31)],
        [date(1, 1, 1), np.datetime64("9999-12-31")],
    ),
]


@pytest.mark.parametrize(("kind", "stored", "lookups"), KEY_CASES, ids=lambda c: str(c)[:12])
def test_every_key_type_answers_alike(
    store: OnlineStore, kind: pa.DataType, stored: list[Any], lookups: list[Any]
) -> None:
    schema = pa.schema([("k", kind), ("ts", TS), ("n", pa.int64())])
    table = OnlineTable("keyed_v1", schema, ("k",), "ts")
    store.write_latest(table, rows(table, *((k, at(0), i) for i, k in enumerate(stored))))
    keys = [(conform_key_value("keyed:1", "k", kind, v),) for v in lookups]
    found = store.read(table, keys)
    assert [None if r is None else r["n"] for r in found] == list(range(len(lookups)))
    assert [None if r is None else r["k"] for r in found] == stored


def test_multi_column_keys_answer_alike(store: OnlineStore) -> None:
    schema = pa.schema(
        [("a", pa.int32()), ("b", pa.string()), ("c", TS), ("ts", TS), ("n", pa.int64())]
    )
    table = OnlineTable("multi_v1", schema, ("a", "b", "c"), "ts")
    moment = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    store.write_latest(table, rows(table, (1, "", moment, at(0), 1), (1, "x", moment, at(0), 2)))
    lookups = [
        (np.int32(1), np.str_(""), np.datetime64("1969-12-31T23:59:59.999999")),
        (1.0, "x", moment.replace(tzinfo=None)),
        (1, "y", moment),
    ]
    types = [schema.field(c).type for c in table.primary_key]
    keys = [
        tuple(
            conform_key_value("multi:1", c, t, v) for c, t, v in zip("abc", types, key, strict=True)
        )
        for key in lookups
    ]
    assert [None if r is None else r["n"] for r in store.read(table, keys)] == [1, 2, None]


# Rebuilds: the new rows are built aside and switched in at once; the marker (``holds``)
# says whether the store still has the table.


def test_replace_all_makes_the_rows_the_only_ones(store: OnlineStore) -> None:
    store.write_latest(TABLE, rows(TABLE, *((i, at(i), float(i)) for i in range(1_200))))
    store.replace_all(TABLE, rows(TABLE, *((i, at(0), -float(i)) for i in range(600, 1_800))))
    assert amounts(store, TABLE, [0, 599, 600, 1_199, 1_799]) == [
        None,
        None,
        -600.0,
        -1199.0,
        -1799.0,
    ]
    store.replace_all(TABLE, rows(TABLE))  # an empty table empties it
    assert amounts(store, TABLE, [600]) == [None]
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))  # usable after a rebuild
    assert amounts(store, TABLE, [1]) == [1.0]


def test_a_reader_sees_all_old_rows_or_all_new_ones_during_replace_all(uri: str) -> None:
    writer, reader = open_online_store(uri), open_online_store(uri)
    ids = list(range(3_000))
    seen: list[set[float | None]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(set(amounts(reader, TABLE, ids)))

    try:
        writer.write_latest(TABLE, rows(TABLE, *((i, at(0), 1.0) for i in ids)))
        thread = threading.Thread(target=read)
        thread.start()
        try:
            for value in (2.0, 3.0, 4.0):
                writer.replace_all(TABLE, rows(TABLE, *((i, at(0), value) for i in ids)))
        finally:
            stop.set()
            thread.join()
        assert seen and all(len(s) == 1 and None not in s for s in seen), seen
        assert amounts(reader, TABLE, ids[:1]) == [4.0]
    finally:
        writer.close()
        reader.close()


def test_holds_tells_whether_the_table_is_there(store: OnlineStore) -> None:
    assert not store.holds(TABLE)
    store.write_latest(TABLE, rows(TABLE, (1, at(0), 1.0)))
    assert store.holds(TABLE)
    store.replace_all(TABLE, rows(TABLE, (2, at(0), 2.0)))
    assert store.holds(TABLE)
