"""The offline store contract, run against every registered backend (local Delta for now;
object storage joins the STORES list when it comes).

The protocol's promises: versions count commits, any version reads back exactly as it
was, upsert replaces on (key, time) and inserts the rest, a commit lands only right after
the version its handle read (so concurrent writers retrying lose nothing), and
``can_append`` never says yes when a row could match.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featurehouse.errors import AlreadyExistsError, ConflictError, InvalidNameError, NotFoundError
from featurehouse.offline.base import (
    CHANGE_TYPE,
    COMMIT_VERSION,
    OfflineStore,
    OfflineTable,
    open_offline_store,
)

TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [("id", pa.int64()), ("ts", TS), ("v", pa.float64()), ("n", pa.int64()), ("s", pa.string())]
)
COLUMNS = SCHEMA.names
MATCH = ["id", "ts"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Row = dict[str, Any]
Key = tuple[int, datetime]

# How each backend is opened on a fresh location: name -> (tmp_path -> URI).
STORES: dict[str, Callable[[Path], str]] = {
    "delta-local": lambda tmp: str(tmp / "offline"),
}


@pytest.fixture(params=list(STORES))
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return STORES[request.param](tmp_path)


@pytest.fixture
def store(uri: str) -> OfflineStore:
    return open_offline_store(uri)


_ids = itertools.count()


def fresh_id() -> str:
    """A new table id (hypothesis runs many examples in one store)."""
    return f"t{next(_ids)}"


def rows(*items: Row, schema: pa.Schema = SCHEMA) -> pa.Table:
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in items], schema)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def canonical(row: Row) -> tuple[Any, ...]:
    """A row comparable with ==, NaN included."""
    return tuple(
        "NaN" if isinstance(row.get(c), float) and math.isnan(row[c]) else row.get(c)
        for c in COLUMNS
    )


def stored(store: OfflineStore, table: OfflineTable) -> list[tuple[Any, ...]]:
    return sorted((canonical(r) for r in store.dataset(table).to_table().to_pylist()), key=repr)


def expected(model: dict[Key, Row]) -> list[tuple[Any, ...]]:
    return sorted((canonical(r) for r in model.values()), key=repr)


# -- creating and opening ---------------------------------------------------------


def test_create_leaves_an_existing_table_as_it_is(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    assert store.open("t").version() == 0
    store.append(store.open("t"), rows({"id": 1, "ts": at(0)}), "insert")
    store.create("t", SCHEMA, change_feed=True)
    table = store.open("t")
    assert table.version() == 1
    assert [r["id"] for r in store.dataset(table).to_table().to_pylist()] == [1]


def test_write_new_refuses_an_existing_table(store: OfflineStore) -> None:
    store.write_new("t", rows({"id": 1, "ts": at(0)}))
    with pytest.raises(AlreadyExistsError):
        store.write_new("t", rows({"id": 2, "ts": at(0)}))
    store.create("empty", SCHEMA, change_feed=False)
    with pytest.raises(AlreadyExistsError):
        store.write_new("empty", rows({"id": 2, "ts": at(0)}))
    assert [r["id"] for r in store.dataset(store.open("t")).to_table().to_pylist()] == [1]


def test_of_writers_racing_for_a_new_table_exactly_one_wins(uri: str) -> None:
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            open_offline_store(uri).write_new("t", rows({"id": n, "ts": at(0)}))
            outcomes.append(f"wrote {n}")
        except AlreadyExistsError:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store = open_offline_store(uri)
    kept = store.dataset(store.open("t")).to_table().column("id").to_pylist()
    assert len(kept) == 1 and sorted(outcomes) == [*["refused"] * 3, f"wrote {kept[0]}"]


def test_opening_a_missing_table_or_version_is_not_found(store: OfflineStore) -> None:
    with pytest.raises(NotFoundError):
        store.open("missing")
    store.create("t", SCHEMA, change_feed=False)
    with pytest.raises(NotFoundError):
        store.open("t", as_of=5)


def test_drop_removes_every_version(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    store.append(store.open("t"), rows({"id": 1, "ts": at(0)}), "insert")
    store.drop("t")
    with pytest.raises(NotFoundError):
        store.open("t")
    store.drop("t")  # already gone: nothing to do
    store.create("t", SCHEMA, change_feed=False)
    table = store.open("t")
    assert table.version() == 0 and store.dataset(table).count_rows() == 0


def test_a_plain_path_and_a_file_uri_open_the_same_local_store(tmp_path: Path) -> None:
    open_offline_store(str(tmp_path / "a dir é")).write_new("t", rows({"id": 1, "ts": at(0)}))
    store = open_offline_store((tmp_path / "a dir é").as_uri())
    assert store.dataset(store.open("t")).to_table().column("id").to_pylist() == [1]


def test_an_unknown_scheme_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InvalidNameError, match="did you mean 'file'"):
        open_offline_store("fille:///tmp/offline")


# -- upsert, append and deletes against a reference model ------------------------

ANY_TIME = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999_999)
).map(lambda t: t.replace(tzinfo=UTC))
INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([-(2**63), 2**63 - 1]))
FLOAT = st.floats(allow_nan=True, allow_infinity=True)
TEXT = st.one_of(st.just(""), st.text(max_size=6))


@st.composite
def batches(draw: st.DrawFn, times: list[datetime]) -> list[Row]:
    """Rows on a few keys and times, so that batches match stored rows; one per (key, time)."""
    drawn = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.integers(0, 3),
                    "ts": st.sampled_from(times),
                    "v": st.none() | FLOAT,
                    "n": st.none() | INT64,
                    "s": st.none() | TEXT,
                }
            ),
            min_size=1,
            max_size=6,
        )
    )
    return list({(r["id"], r["ts"]): r for r in drawn}.values())


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[str, Any]]:
    times = draw(st.lists(ANY_TIME, min_size=1, max_size=4, unique=True))
    kinds = st.sampled_from(["upsert", "append", "delete keys", "delete rows", "delete where"])
    ops: list[tuple[str, Any]] = []
    for kind in draw(st.lists(kinds, min_size=1, max_size=6)):
        if kind in ("upsert", "append", "delete rows"):
            ops.append((kind, draw(batches(times))))
        else:
            ops.append((kind, draw(st.integers(0, 3))))
    return ops


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations())
def test_writes_match_a_reference_model_at_every_version(
    store: OfflineStore, ops: list[tuple[str, Any]]
) -> None:
    table_id = fresh_id()
    store.create(table_id, SCHEMA, change_feed=False)
    model: dict[Key, Row] = {}
    snapshots = {0: expected(model)}
    for kind, arg in ops:
        table = store.open(table_id)
        before = table.version()
        if kind in ("upsert", "append"):
            batch = arg if kind == "upsert" else [r for r in arg if (r["id"], r["ts"]) not in model]
            if not batch:
                continue
            data = rows(*batch)
            if store.can_append(table, data, "ts"):  # sound: no stored time is as late
                low = min(r["ts"] for r in batch)
                assert all(t < low for _, t in model), (sorted(model), low)
            if kind == "append":
                version = store.append(table, data, "insert")
                counts = (len(batch), 0, 0)
            else:
                written = store.upsert(table, data, MATCH, "ts", "insert")
                version = written.version
                counts = (written.rows_inserted, written.rows_updated, written.rows_deleted)
            new = [r for r in batch if (r["id"], r["ts"]) not in model]
            assert counts == (len(new), len(batch) - len(new), 0)
            model.update({(r["id"], r["ts"]): r for r in batch})
        else:
            if kind == "delete keys":
                gone = [k for k in model if k[0] == arg]
                written = store.delete_matching(table, rows({"id": arg}).select(["id"]), "delete")
            elif kind == "delete rows":
                gone = [k for k in ((r["id"], r["ts"]) for r in arg) if k in model]
                written = store.delete_matching(table, rows(*arg).select(MATCH), "delete")
            else:
                gone = [k for k in model if k[0] >= arg]
                written = store.delete_where(table, f'"id" >= {arg}', "delete")
            version = written.version
            assert (written.rows_inserted, written.rows_updated, written.rows_deleted) == (
                0,
                0,
                len(gone),
            )
            for key in gone:
                del model[key]
        assert table.version() == version == store.open(table_id).version()
        assert version == before + 1 or (version == before and snapshots[before] == expected(model))
        snapshots[version] = expected(model)
        assert stored(store, table) == snapshots[version]
    # Time travel: every version reads back exactly as it was.
    for version, rows_then in snapshots.items():
        assert stored(store, store.open(table_id, as_of=version)) == rows_then, version


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_time_filter_on_the_dataset_is_exact_to_the_microsecond(
    store: OfflineStore, data: st.DataObject
) -> None:
    times = data.draw(st.lists(ANY_TIME, min_size=1, max_size=4, unique=True), label="times")
    batch = data.draw(batches(times), label="batch")
    table_id = fresh_id()
    store.create(table_id, SCHEMA, change_feed=False)
    store.append(store.open(table_id), rows(*batch), "insert")
    bound = data.draw(st.sampled_from([r["ts"] for r in batch]), label="bound")
    bound += data.draw(st.sampled_from([timedelta(0), timedelta(microseconds=-1)]), label="shift")
    found = store.dataset(store.open(table_id)).to_table(
        filter=ds.field("ts") >= pa.scalar(bound, TS)
    )
    assert sorted(r["id"] for r in found.to_pylist()) == sorted(
        r["id"] for r in batch if r["ts"] >= bound
    )


# -- what a handle promises --------------------------------------------------------


def test_can_append_answers_from_what_is_stored(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    empty = store.open("t")
    assert store.can_append(empty, rows({"id": 1, "ts": at(0)}), "ts")
    store.append(empty, rows({"id": 1, "ts": at(0)}, {"id": 2, "ts": at(10)}), "insert")
    table = store.open("t")
    assert store.can_append(table, rows({"id": 1, "ts": at(11)}), "ts")  # all later
    assert not store.can_append(table, rows({"id": 1, "ts": at(10)}), "ts")  # a match
    assert not store.can_append(table, rows({"id": 3, "ts": at(11)}, {"id": 1, "ts": at(0)}), "ts")


def test_a_commit_lands_only_on_the_version_its_handle_read(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    store.append(store.open("t"), rows({"id": 1, "ts": at(0)}), "insert")
    stale = store.open("t")
    store.append(store.open("t"), rows({"id": 2, "ts": at(1)}), "insert")  # another writer
    writes: list[Callable[[], object]] = [
        lambda: store.append(stale, rows({"id": 3, "ts": at(2)}), "insert"),
        lambda: store.upsert(stale, rows({"id": 1, "ts": at(0)}), MATCH, "ts", "insert"),
        lambda: store.delete_where(stale, '"id" = 1', "delete"),
        lambda: store.delete_matching(stale, rows({"id": 1}).select(["id"]), "delete"),
    ]
    for write in writes:
        with pytest.raises(ConflictError):
            write()
    table = store.open("t")
    assert table.version() == 2
    assert sorted(r["id"] for r in store.dataset(table).to_table().to_pylist()) == [1, 2]


def test_concurrent_writers_that_retry_lose_no_commit(uri: str) -> None:
    """Each thread upserts its own rows through its own store, retrying when another
    commit got in first (as the writer does): every row and every commit is kept."""
    open_offline_store(uri).create("t", SCHEMA, change_feed=False)
    per_writer, writers = 4, 3
    versions: list[int] = []
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        store = open_offline_store(uri)
        try:
            for n in range(per_writer):
                batch = rows({"id": worker, "ts": at(n), "n": n})
                while True:
                    try:
                        table = store.open("t")
                        versions.append(store.upsert(table, batch, MATCH, "ts", "insert").version)
                        break
                    except ConflictError:
                        continue
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    store = open_offline_store(uri)
    table = store.open("t")
    assert sorted(versions) == list(range(1, writers * per_writer + 1))
    assert table.version() == writers * per_writer
    got = sorted((r["id"], r["n"]) for r in store.dataset(table).to_table().to_pylist())
    assert got == [(w, n) for w in range(writers) for n in range(per_writer)]


# -- history and time travel by time -------------------------------------------------


def test_history_lists_every_commit_newest_first(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    stale = store.open("t")
    store.append(store.open("t"), rows({"id": 1, "ts": at(0)}, {"id": 2, "ts": at(0)}), "insert")
    store.upsert(
        store.open("t"), rows({"id": 1, "ts": at(0)}, {"id": 3, "ts": at(0)}), MATCH, "ts", "insert"
    )
    store.delete_where(store.open("t"), '"id" = 2', "delete")
    history = store.history(stale)
    assert stale.version() == 3  # brought up to the newest version
    assert [c.version for c in history] == [3, 2, 1, 0]
    changed = [(c.operation, c.rows_inserted, c.rows_updated, c.rows_deleted) for c in history]
    assert changed[:3] == [("delete", 0, 0, 1), ("insert", 1, 1, 0), ("insert", 2, 0, 0)]
    assert all(c.timestamp.tzinfo is not None for c in history)
    assert [c.version for c in store.history(store.open("t"), limit=2)] == [3, 2]


def test_as_of_a_time_reads_the_last_version_committed_by_then(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    for n in range(3):
        store.append(store.open("t"), rows({"id": n, "ts": at(n)}), "insert")
    history = store.history(store.open("t"))
    for commit in history:
        latest_by_then = max(c.version for c in history if c.timestamp <= commit.timestamp)
        table = store.open("t", as_of=commit.timestamp)
        assert table.version() == latest_by_then
        assert store.dataset(table).count_rows() == latest_by_then
    before = store.open("t", as_of=history[-1].timestamp - timedelta(days=1))
    assert before.version() == 0  # the first version, empty


# -- schemas -----------------------------------------------------------------------


def test_add_columns_grows_the_schema_and_keeps_the_rows(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    store.append(store.open("t"), rows({"id": 1, "ts": at(0)}), "insert")
    extra = [pa.field("w", pa.float64()), pa.field("v", pa.float64())]  # v exists already
    store.add_columns("t", extra)
    store.add_columns("t", extra)  # nothing left to add: no commit
    table = store.open("t")
    assert table.version() == 2
    assert table.schema().names == [*COLUMNS, "w"]
    assert store.dataset(table).to_table().column("w").to_pylist() == [None]
    assert store.dataset(store.open("t", as_of=1)).schema.names == COLUMNS


def test_writes_grow_the_schema_by_new_columns(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    wider = SCHEMA.append(pa.field("w", pa.int64()))
    table = store.open("t")
    store.append(table, rows({"id": 1, "ts": at(0), "w": 5}, schema=wider), "insert")
    assert table.schema().names == wider.names  # the handle moved to the commit
    widest = wider.append(pa.field("x", pa.string()))
    store.upsert(
        table, rows({"id": 1, "ts": at(0), "x": "é"}, schema=widest), MATCH, "ts", "insert"
    )
    assert table.schema().names == widest.names
    assert store.dataset(table).to_table().select(["w", "x"]).to_pylist() == [{"w": None, "x": "é"}]


def test_retyped_columns_names_each_column_stored_with_another_type(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    table = store.open("t")
    assert store.retyped_columns(table, SCHEMA) == []
    alike = pa.schema([("s", pa.large_string()), ("new", pa.int8())])
    assert store.retyped_columns(table, alike) == []
    other = pa.schema([("n", pa.string()), ("v", pa.float64())])
    assert store.retyped_columns(table, other) == [("n", pa.int64(), pa.string())]


# -- the change feed -----------------------------------------------------------------


def changes_by_version(store: OfflineStore, table: OfflineTable, start: int, end: int) -> set[Any]:
    changed = store.changes(table, start, end).to_pylist()
    return {(r[COMMIT_VERSION], r[CHANGE_TYPE], r["id"], r["n"]) for r in changed}


def test_changes_give_each_commits_rows(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=True)
    table = store.open("t")
    store.append(
        table, rows({"id": 1, "ts": at(0), "n": 1}, {"id": 2, "ts": at(0), "n": 2}), "insert"
    )
    store.upsert(
        table,
        rows({"id": 1, "ts": at(0), "n": 10}, {"id": 3, "ts": at(0), "n": 3}),
        MATCH,
        "ts",
        "i",
    )
    store.delete_matching(table, rows({"id": 2}).select(["id"]), "delete")
    assert changes_by_version(store, table, 1, 3) == {
        (1, "insert", 1, 1),
        (1, "insert", 2, 2),
        (2, "update_preimage", 1, 1),
        (2, "update_postimage", 1, 10),
        (2, "insert", 3, 3),
        (3, "delete", 2, 2),
    }
    assert {c[0] for c in changes_by_version(store, table, 2, 2)} == {2}


def test_a_change_feed_turned_on_later_gives_the_later_commits(store: OfflineStore) -> None:
    store.create("t", SCHEMA, change_feed=False)
    store.append(store.open("t"), rows({"id": 1, "ts": at(0), "n": 1}), "insert")
    store.enable_change_feed("t")
    store.enable_change_feed("t")  # on already: no commit
    table = store.open("t")
    store.append(table, rows({"id": 2, "ts": at(0), "n": 2}), "insert")
    assert table.version() == 3
    assert changes_by_version(store, table, 3, 3) == {(3, "insert", 2, 2)}
