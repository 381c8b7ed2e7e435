"""Packed rows read back exactly what was written: every fixed type, nulls, and schemas
that grew after the row was written (or that the reader does not know yet)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from featurehouse.online.packing import RowLayout

TYPES = {
    "b": (pa.bool_(), st.booleans()),
    "i8": (pa.int8(), st.integers(-128, 127)),
    "i32": (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    "i64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "f32": (pa.float32(), st.floats(width=32, allow_nan=False)),
    "f64": (pa.float64(), st.floats(allow_nan=False)),
    "ts": (
        pa.timestamp("us", tz="UTC"),
        st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
            lambda d: d.replace(tzinfo=UTC)
        ),
    ),
    "d": (pa.date32(), st.dates(min_value=date(1900, 1, 1))),
    "s": (pa.string(), st.text(max_size=5)),
}
SCHEMA = pa.schema([(name, t) for name, (t, _) in TYPES.items()])
ROW = st.fixed_dictionaries({name: st.none() | values for name, (_, values) in TYPES.items()})


def roundtrip(layout: RowLayout, table: pa.Table) -> list[dict[str, object]]:
    blobs, nulls = layout.pack(table)
    variable = layout.variable_values(table)
    out = []
    for i, (blob, bitmap) in enumerate(zip(blobs, nulls, strict=True)):
        fixed = dict(zip(layout.fixed, layout.unpack(blob, bitmap), strict=True))
        fixed.update({c: values[i] for c, values in zip(layout.variable, variable, strict=True)})
        out.append(fixed)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=20))
def test_pack_then_unpack_is_identity(rows: list[dict[str, object]]) -> None:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    layout = RowLayout(SCHEMA, SCHEMA.names)
    assert layout.variable == ["s"]
    assert roundtrip(layout, table) == table.to_pylist()


def test_rows_written_before_a_fixed_column_was_added_read_it_as_none() -> None:
    old = pa.schema([("a", pa.float64())])
    new = old.append(pa.field("b", pa.int64()))
    blobs, nulls = RowLayout(old, ["a"]).pack(pa.table({"a": [1.5]}, schema=old))
    assert RowLayout(new, ["a", "b"]).unpack(blobs[0], nulls[0]) == [1.5, None]


def test_a_reader_that_knows_fewer_columns_reads_its_prefix() -> None:
    new = pa.schema([("a", pa.float64()), ("b", pa.int64())])
    blobs, nulls = RowLayout(new, ["a", "b"]).pack(pa.table({"a": [None], "b": [7]}, schema=new))
    old = RowLayout(pa.schema([("a", pa.float64())]), ["a"])
    assert old.unpack(blobs[0], nulls[0]) == [None]


def test_more_than_eight_nullable_columns() -> None:
    schema = pa.schema([(f"c{i}", pa.float64()) for i in range(20)])
    row = {f"c{i}": (None if i % 3 == 0 else float(i)) for i in range(20)}
    table = pa.Table.from_pylist([row, {c: 1.0 for c in schema.names}], schema=schema)
    assert roundtrip(RowLayout(schema, schema.names), table) == table.to_pylist()


def test_timestamps_keep_microseconds() -> None:
    schema = pa.schema([("t", pa.timestamp("us", tz="UTC"))])
    value = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=123_457)
    assert roundtrip(RowLayout(schema, ["t"]), pa.table({"t": [value]}, schema=schema)) == [
        {"t": value}
    ]


def unpacked_columns(layout: RowLayout, blobs: list[bytes], nulls: list[bytes | None]) -> pa.Table:
    return pa.table(layout.unpack_columns(blobs, nulls, layout.fixed))


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=0, max_size=20))
def test_unpacking_columns_gives_the_fixed_columns_written(rows: list[dict[str, object]]) -> None:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    layout = RowLayout(SCHEMA, SCHEMA.names)
    blobs, nulls = layout.pack(table)
    assert unpacked_columns(layout, blobs, nulls).equals(table.select(layout.fixed))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), ROW), min_size=1, max_size=12))
def test_unpacking_columns_reads_blobs_of_every_schema_age(
    rows: list[tuple[int, dict[str, object]]],
) -> None:
    """Rows written when the schema had fewer fixed columns (a prefix: the rest null), and
    by a process that knows more (cut), read together as row by row."""
    fixed = ["b", "i8", "i32", "i64", "f32", "f64", "ts", "d"]
    ages = [pa.schema([SCHEMA.field(c) for c in fixed[:n]]) for n in (3, 6, 8)]
    blobs: list[bytes] = []
    nulls: list[bytes | None] = []
    for age, row in rows:
        schema = ages[age]
        written = RowLayout(schema, schema.names).pack(pa.Table.from_pylist([row], schema=schema))
        blobs.append(written[0][0])
        nulls.append(written[1][0])
    reader = ages[1]
    layout = RowLayout(reader, reader.names)
    by_rows = [
        dict(zip(reader.names, layout.unpack(b, n), strict=True))
        for b, n in zip(blobs, nulls, strict=True)
    ]
    assert unpacked_columns(layout, blobs, nulls).to_pylist() == by_rows


@settings(max_examples=30, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_packing_in_an_order_equals_packing_the_reordered_rows(
    rows: list[dict[str, object]], random: Any
) -> None:
    import numpy as np

    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    order = list(range(len(rows)))
    random.shuffle(order)
    layout = RowLayout(SCHEMA, SCHEMA.names)
    assert layout.pack(table, np.array(order)) == layout.pack(table.take(order))
