"""The contract every engine honours (the ``engine`` fixture runs each registered one),
checked against obviously-right references in plain Python on random data that covers
the whole value domain: microsecond timestamps from the year 1 to the year 9999, NaN and
±inf, the extreme 64-bit integers, unicode, empty and NUL-holding strings, nulls.

The point-in-time join is also checked on the scenarios of tests/point_in_time.py (the
reference the feature-store tests use), moved to times far from today.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from featurehouse.engine.base import AsOfSource, Engine
from featurehouse.engine.statistics import column_kind

from ..point_in_time import (
    GROUPS,
    ROOT,
    SETTINGS,
    T0,
    TIMESTAMP,
    Model,
    Scenario,
    apply_to_model,
    as_of,
    reference_rows,
    scenarios,
    spines,
)

# -- the value domain --------------------------------------------------------------------

FIRST = datetime(1, 1, 1, tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
INT64 = (-(2**63), 2**63 - 1)
FLOATS = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False),
)
INTS = st.one_of(st.sampled_from([*INT64, 0, -1]), st.integers(*INT64))
TEXTS = st.one_of(
    st.sampled_from(["", "ä", "日本語", "🙂", "a\x00b", "A", "a"]), st.text(max_size=5)
)
TIMES = st.datetimes(FIRST.replace(tzinfo=None), LAST.replace(tzinfo=None), timezones=st.just(UTC))
KEYS = {"int": (pa.int64(), st.sampled_from([*INT64, 0, 7])), "str": (pa.string(), TEXTS)}
VALUES = {
    "f": (pa.float64(), FLOATS),
    "i": (pa.int64(), INTS),
    "s": (pa.string(), TEXTS),
    "b": (pa.bool_(), st.booleans()),
    "t": (TIMESTAMP, TIMES),
}


@st.composite
def tables(
    draw: st.DrawFn, key: str, min_size: int = 0, unique: bool = False
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Rows of key ``k``, event time ``ts`` and a column of every value type (nulls too),
    over a few keys and times so that they repeat; ``unique``: one row per (k, ts)."""
    key_type, key_values = KEYS[key]
    key_pool = draw(st.lists(key_values, min_size=1, max_size=4, unique=True))
    time_pool = draw(st.lists(TIMES, min_size=1, max_size=4, unique=True))
    row = st.fixed_dictionaries(
        {
            "k": st.sampled_from(key_pool),
            "ts": st.sampled_from(time_pool),
            **{name: st.none() | values for name, (_, values) in VALUES.items()},
        }
    )
    rows = draw(
        st.lists(
            row,
            min_size=min_size,
            max_size=12,
            unique_by=(lambda r: (r["k"], r["ts"])) if unique else None,
        )
    )
    schema = pa.schema(
        [("k", key_type), ("ts", TIMESTAMP), *((n, t) for n, (t, _) in VALUES.items())]
    )
    rows = [{c: r[c] for c in schema.names} for r in rows]  # in schema order
    return pa.Table.from_pylist(rows, schema=schema), rows


def comparable(value: Any) -> Any:
    """NaN equal to NaN, and -0.0 to 0.0 (SQL compares them so), for sorting and equality."""
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return ("value", type(value).__name__, value)


def normal(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
    return [tuple((c, comparable(v)) for c, v in row.items()) for row in rows]


def assert_same_multiset(got: pa.Table, expected: list[dict[str, Any]]) -> None:
    assert Counter(normal(got.to_pylist())) == Counter(normal(expected))


def assert_same_list(got: pa.Table, expected: list[dict[str, Any]]) -> None:
    assert normal(got.to_pylist()) == normal(expected)


# -- scan, last_per_group, count_matches, latest_rows ------------------------------------


@SETTINGS
@given(
    data=st.sampled_from(list(KEYS)).flatmap(tables),
    columns=st.none() | st.lists(st.sampled_from(["k", "ts", *VALUES]), min_size=1, unique=True),
    start=st.none() | TIMES,
    end=st.none() | TIMES,
)
def test_scan_reads_the_rows_in_the_time_range(
    engine: Engine,
    data: tuple[pa.Table, list[dict[str, Any]]],
    columns: list[str] | None,
    start: datetime | None,
    end: datetime | None,
) -> None:
    table, rows = data
    got = engine.scan(ds.dataset(table), columns, "ts", start, end)
    kept = [
        r for r in rows if (start is None or start <= r["ts"]) and (end is None or r["ts"] < end)
    ]
    names = columns or table.column_names
    assert got.column_names == names
    assert_same_multiset(got, [{c: r[c] for c in names} for r in kept])


@SETTINGS
@given(
    data=st.sampled_from(list(KEYS)).flatmap(tables),
    group=st.sampled_from([["k"], ["k", "ts"], ["s", "b"]]),
    by_time=st.booleans(),
)
def test_last_per_group_keeps_the_greatest_then_the_last_row(
    engine: Engine, data: tuple[pa.Table, list[dict[str, Any]]], group: list[str], by_time: bool
) -> None:
    table, rows = data
    best: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):  # a later row wins unless an earlier one is greater
        g = tuple(comparable(row[c]) for c in group)  # a null is a group of its own
        if not by_time or g not in best or rows[best[g]]["ts"] <= row["ts"]:
            best[g] = i
    expected = [rows[i] for i in sorted(best.values())]
    got = engine.last_per_group(table, group, order="ts" if by_time else None)
    assert got.schema == table.schema
    assert_same_list(got, expected)


@SETTINGS
@given(key=st.sampled_from(list(KEYS)), data=st.data())
def test_count_matches_counts_the_batch_rows_found(
    engine: Engine, key: str, data: st.DataObject
) -> None:
    table, rows = data.draw(tables(key))
    batch, batch_rows = data.draw(tables(key, min_size=1, unique=True))
    batch = pa.concat_tables([batch, table.slice(0, 3)])  # some rows surely found
    batch_rows = batch_rows + rows[:3]
    stored = {(r["k"], r["ts"]) for r in rows}
    expected = sum((r["k"], r["ts"]) in stored for r in batch_rows)
    assert engine.count_matches(ds.dataset(table), batch, ["k", "ts"], "ts") == expected


@SETTINGS
@given(key=st.sampled_from(list(KEYS)), data=st.data())
def test_latest_rows_finds_each_keys_newest_row(
    engine: Engine, key: str, data: st.DataObject
) -> None:
    table, rows = data.draw(tables(key, unique=True))
    known = sorted({r["k"] for r in rows}, key=repr)
    unknown = KEYS[key][1].filter(lambda k: k not in known)
    wanted = data.draw(st.lists(st.sampled_from(known) | unknown if known else unknown))
    if key == "int":  # keys as numpy scalars, as a pandas frame would hold them
        keys = pa.table({"k": pa.array([np.int64(k) for k in wanted], pa.int64())})
    else:
        keys = pa.table({"k": pa.array(wanted, pa.string())})
    newest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        if row["k"] in wanted and (row["k"] not in newest or newest[row["k"]]["ts"] < row["ts"]):
            newest[row["k"]] = row
    got = engine.latest_rows(ds.dataset(table), keys, "ts")
    assert got.column_names == table.column_names
    assert_same_multiset(got, list(newest.values()))


# -- as_of_join --------------------------------------------------------------------------

# How a source's rows are held: in memory, or in Parquet files on disk (as the offline
# store keeps them; an engine may read those files itself).
FORMS = st.sampled_from(["memory", "files"])


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sources")


def stored(table: pa.Table, form: str, directory: Path) -> ds.Dataset:
    """``table`` as a dataset in ``form``; as files, its rows split over two of them."""
    if form == "memory":
        return ds.dataset(table)
    folder = directory / uuid.uuid4().hex
    folder.mkdir()
    half = table.num_rows // 2
    paths = []
    for n, part in enumerate([table.slice(0, half), table.slice(half)]):
        paths.append(str(folder / f"part-{n}.parquet"))
        pq.write_table(part, paths[-1])
    return ds.dataset(paths, schema=table.schema)


TTLS = st.none() | st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(days=1)])
TTLS |= st.timedeltas(timedelta(0), timedelta(days=365 * 9000))


@SETTINGS
@given(key=st.sampled_from(list(KEYS)), data=st.data(), ttl=TTLS, form=FORMS)
def test_as_of_join_takes_each_rows_latest_match_within_the_ttl(
    engine: Engine,
    files_dir: Path,
    key: str,
    data: st.DataObject,
    ttl: timedelta | None,
    form: str,
) -> None:
    table, rows = data.draw(tables(key, unique=True))
    times = [r["ts"] for r in rows] + [FIRST, LAST]
    spine_time = st.sampled_from(times) | TIMES
    spine_key = st.sampled_from([r["k"] for r in rows]) if rows else KEYS[key][1]
    spine_rows = data.draw(st.lists(st.tuples(spine_key, spine_time), min_size=1))
    spine_rows = [{"id": k, "at": t} for k, t in spine_rows]
    spine = pa.Table.from_pylist(
        spine_rows, schema=pa.schema([("id", KEYS[key][0]), ("at", TIMESTAMP)])
    )
    names = list(VALUES)
    source = AsOfSource(
        stored(table, form, files_dir),
        ("k",),
        ("id",),
        "ts",
        tuple((c, f"x_{c}") for c in names),
        ttl,
    )
    got = engine.as_of_join(spine, "at", [source])
    model: Model = {(r["k"], r["ts"]): r for r in rows}
    expected = []
    for spine_row in spine_rows:
        found = as_of(model, spine_row["id"], spine_row["at"], ttl)
        expected.append({**spine_row, **{f"x_{c}": found and found[c] for c in names}})
    assert got.column_names == ["id", "at", *(f"x_{c}" for c in names)]
    assert_same_list(got, expected)


SHIFTS = st.sampled_from(
    [
        timedelta(0),
        # the scenarios' times (T0 - 1 h .. T0 + 7 h) moved next to the year 1 and 9999
        datetime(1, 1, 1, 1, 0, 0, 1, tzinfo=UTC) - (T0 - timedelta(hours=1)),
        datetime(9999, 12, 31, 16, 59, 59, 999_999, tzinfo=UTC) - (T0 + timedelta(hours=7)),
    ]
)


@SETTINGS
@given(scenario=scenarios(deletes=True), spine=spines(), shift=SHIFTS, form=FORMS)
def test_as_of_join_matches_the_point_in_time_reference(
    engine: Engine,
    files_dir: Path,
    scenario: Scenario,
    spine: list[dict[str, Any]],
    shift: timedelta,
    form: str,
) -> None:
    """The scenarios of the feature-store tests, given to the engine as the datasets the
    offline store would hold: one source per group, the merchants joined on the
    transactions' (point-in-time) ``merchant_id``, hidden when not selected."""
    spine = [{**row, "ts": row["ts"] + shift} for row in spine]
    models: dict[str, Model] = {}
    for group in scenario.groups:
        models[group] = {}
        for op in scenario.histories[group]:
            apply_to_model(models[group], group, op)
        models[group] = {(k, t + shift): row for (k, t), row in models[group].items()}
    hidden = "merchants" in scenario.joins and "merchant_id" not in scenario.selected(ROOT)
    sources = []
    for group in scenario.groups:
        definition = GROUPS[group]
        columns = [(f, scenario.prefixes[group] + f) for f in scenario.selected(group)]
        if group == ROOT and hidden:
            columns.append(("merchant_id", "hidden_merchant_id"))
        rows = [{definition.key: k, "ts": t, **f} for (k, t), f in models[group].items()]
        schema = pa.schema(
            [(definition.key, pa.int64()), ("ts", TIMESTAMP), *definition.features.items()]
        )
        left_on = "cc_num"
        if group == "merchants":
            left_on = "hidden_merchant_id" if hidden else scenario.prefixes[ROOT] + "merchant_id"
        source = AsOfSource(
            stored(pa.Table.from_pylist(rows, schema=schema), form, files_dir),
            (definition.key,),
            (left_on,),
            "ts",
            tuple(columns),
            scenario.ttls[group],
        )
        sources.append(source)
    spine_schema = pa.schema(
        [("cc_num", pa.int64()), ("ts", TIMESTAMP), ("is_fraud", pa.bool_()), ("note", pa.string())]
    )
    got = engine.as_of_join(pa.Table.from_pylist(spine, schema=spine_schema), "ts", sources)
    if hidden:
        got = got.drop_columns(["hidden_merchant_id"])
    assert got.column_names == [*spine_schema.names, *scenario.features]
    expected = reference_rows(scenario, models, spine)
    assert got.to_pylist() == [{c: row[c] for c in got.column_names} for row in expected]


def test_as_of_join_reads_columns_added_after_some_files_as_null(
    engine: Engine, tmp_path: Path
) -> None:
    """A source whose older file lacks ``late`` and whose every file lacks ``never`` (columns
    added to the table after those files were written): those rows read null there."""
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    old = pa.table({"k": [1, 2], "ts": pa.array([t0, t0], TIMESTAMP), "x": [1.0, 2.0]})
    new = pa.table(
        {"k": [1], "ts": pa.array([t0 + timedelta(hours=1)], TIMESTAMP), "x": [3.0], "late": ["a"]}
    )
    pq.write_table(old, tmp_path / "old.parquet")
    pq.write_table(new, tmp_path / "new.parquet")
    schema = pa.schema(
        [("k", pa.int64()), ("ts", TIMESTAMP), ("x", pa.float64()), ("late", pa.string())]
    )
    spine = pa.table(
        {"id": [1, 1, 2], "at": pa.array([t0, t0 + timedelta(hours=2), t0], TIMESTAMP)}
    )
    for never in (False, True):
        full = schema.append(pa.field("never", pa.int64())) if never else schema
        files = [str(tmp_path / "new.parquet"), str(tmp_path / "old.parquet")]
        dataset = ds.dataset(files, full)
        columns = tuple((c, c) for c in full.names[2:])
        got = engine.as_of_join(spine, "at", [AsOfSource(dataset, ("k",), ("id",), "ts", columns)])
        assert got.schema == pa.schema([*spine.schema, *(full.field(c) for c, _ in columns)])
        assert got.column("x").to_pylist() == [1.0, 3.0, 2.0]
        assert got.column("late").to_pylist() == [None, "a", None]
        if never:
            assert got.column("never").to_pylist() == [None, None, None]


# -- statistics --------------------------------------------------------------------------


@SETTINGS
@given(data=st.sampled_from(list(KEYS)).flatmap(tables))
def test_statistics_count_and_bound_every_value(
    engine: Engine, data: tuple[pa.Table, list[dict[str, Any]]]
) -> None:
    """Counts, bounds, cardinality and top values against plain Python; moments where
    they are finite; the histogram holds every finite value."""
    table, rows = data
    stats = engine.statistics(table)
    assert stats.row_count == len(rows)
    assert engine.statistics(ds.dataset(table)).columns == stats.columns  # a stored table's
    for name in table.column_names:
        kind = column_kind(table.schema.field(name).type)
        present = [r[name] for r in rows if r[name] is not None]
        s = stats[name]
        assert (s["kind"], s["count"], s["nulls"]) == (kind, len(present), len(rows) - len(present))
        if kind == "numeric":
            finite = [float(v) for v in present if math.isfinite(v)]
            assert s["nans"] == sum(1 for v in present if math.isnan(v))
            assert s["infinite"] == sum(1 for v in present if math.isinf(v))
            assert (s["min"], s["max"]) == (min(finite, default=None), max(finite, default=None))
            assert sum(s["histogram"]["counts"]) == len(finite)
            largest = max(map(abs, finite), default=0.0)
            if finite and largest < 1e300:  # the sum cannot overflow
                # rounding errors scale with the largest value, not with the mean
                assert s["mean"] == pytest.approx(np.mean(finite), abs=1e-12 * largest)
        elif kind == "categorical":
            counts = Counter(present)
            assert s["cardinality"] == len(counts)
            ranked = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:10]
            assert [tuple(t) for t in s["top"]] == ranked
        elif kind == "time":
            first, last = (min(present), max(present)) if present else (None, None)
            assert s["min"] == (first and first.isoformat())
            assert s["max"] == (last and last.isoformat())
