"""Feature group semantics on the embedded default: upserts, time travel, online, deletes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import MissingDependencyError
from tests.extras import require_extra

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def rows(*items: tuple[int, float, float]) -> list[dict[str, object]]:
    """(key, hours after T0, amount) -> rows."""
    return [{"cc_num": k, "ts": at(h), "amount": a} for k, h, a in items]


@pytest.fixture
def fg(fs: fh.FeatureStore) -> fh.FeatureGroup:
    return fs.create_feature_group(
        "transactions", version=1, primary_key=["cc_num"], event_time="ts", online=True
    )


def offline(fg: fh.FeatureGroup, **kwargs: object) -> list[tuple[int, datetime, float]]:
    table = fg.read(**kwargs).to_arrow()  # type: ignore[arg-type]
    return sorted(
        zip(*(table.column(c).to_pylist() for c in ("cc_num", "ts", "amount")), strict=True)
    )


def test_insert_is_an_upsert_on_key_and_event_time(fg: fh.FeatureGroup) -> None:
    first = fg.insert(rows((1, 0, 10.0), (2, 0, 20.0)))
    assert (first.rows_inserted, first.rows_updated) == (2, 0)
    second = fg.insert(rows((1, 0, 11.0), (1, 1, 12.0)))
    assert (second.rows_inserted, second.rows_updated) == (1, 1)
    assert second.version == first.version + 1
    assert offline(fg) == [(1, at(0), 11.0), (1, at(1), 12.0), (2, at(0), 20.0)]


def test_last_duplicate_in_a_batch_wins(fg: fh.FeatureGroup) -> None:
    result = fg.insert(rows((1, 0, 1.0), (1, 0, 2.0), (2, 0, 5.0), (1, 0, 3.0)))
    assert result.duplicates_dropped == 2
    assert offline(fg) == [(1, at(0), 3.0), (2, at(0), 5.0)]
    assert fg.get_online({"cc_num": 1})["amount"] == 3.0  # type: ignore[index]


def test_read_as_of_version_and_timestamp(fg: fh.FeatureGroup) -> None:
    v1 = fg.insert(rows((1, 0, 10.0))).version
    between = datetime.now(UTC)
    fg.insert(rows((1, 0, 99.0), (2, 1, 20.0)))
    assert offline(fg, as_of=v1) == [(1, at(0), 10.0)]
    assert offline(fg, as_of=between) == [(1, at(0), 10.0)]
    assert offline(fg, as_of=between.isoformat()) == [(1, at(0), 10.0)]
    assert offline(fg) == [(1, at(0), 99.0), (2, at(1), 20.0)]


def test_read_time_window_and_columns(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 1.0), (1, 1, 2.0), (1, 2, 3.0)))
    assert [r[2] for r in offline(fg, start=at(1), end=at(2))] == [2.0]  # start <= ts < end
    naive = at(1).replace(tzinfo=None)  # naive times are UTC
    assert [r[2] for r in offline(fg, start=naive)] == [2.0, 3.0]
    assert fg.read(columns=["amount"]).columns == ["amount"]


def test_results_convert_to_pandas_polars_arrow(fg: fh.FeatureGroup) -> None:
    pl = require_extra("polars", "polars")
    fg.insert(rows((1, 0, 1.0)))
    result = fg.read()
    assert isinstance(result.to_pandas(), pd.DataFrame)
    assert isinstance(result.to_polars(), pl.DataFrame)
    assert isinstance(result.to_arrow(), pa.Table)
    assert result.to_pylist() == [{"cc_num": 1, "ts": at(0), "amount": 1.0}]


def test_accepts_pandas_polars_arrow_and_dicts(fg: fh.FeatureGroup) -> None:
    pl = require_extra("polars", "polars")
    fg.insert(pd.DataFrame({"cc_num": [1], "ts": [pd.Timestamp(at(0))], "amount": [1.0]}))
    fg.insert(pl.DataFrame({"cc_num": [2], "ts": [at(0)], "amount": [2.0]}))
    fg.insert(pa.table({"cc_num": [3], "ts": [at(0)], "amount": [3.0]}))
    fg.insert(rows((4, 0, 4.0)))
    assert [r[0] for r in offline(fg)] == [1, 2, 3, 4]


def test_to_polars_without_polars_names_the_extra(
    fg: fh.FeatureGroup, monkeypatch: pytest.MonkeyPatch
) -> None:
    fg.insert(rows((1, 0, 1.0)))
    monkeypatch.setitem(sys.modules, "polars", None)  # what an install without the extra sees
    with pytest.raises(MissingDependencyError, match=r"featurehouse\[polars\]"):
        fg.read().to_polars()


def test_naive_timestamps_are_utc_and_aware_ones_are_converted(fg: fh.FeatureGroup) -> None:
    plus2 = timezone(timedelta(hours=2))
    fg.insert(
        [
            {"cc_num": 1, "ts": datetime(2026, 1, 1, 12, 0), "amount": 1.0},
            {"cc_num": 2, "ts": datetime(2026, 1, 1, 14, 0, tzinfo=plus2), "amount": 2.0},
        ]
    )
    assert fg.schema is not None
    assert fg.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert [r[1] for r in offline(fg)] == [at(12), at(12)]
    assert fg.get_online({"cc_num": 2})["ts"] == at(12)  # type: ignore[index]


def test_online_keeps_the_newest_row_and_late_rows_do_not_overwrite(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 5, 50.0)))
    fg.insert(rows((1, 3, 30.0)))  # late: older event time
    assert fg.get_online({"cc_num": 1}) == {"cc_num": 1, "ts": at(5), "amount": 50.0}
    fg.insert(rows((1, 5, 55.0)))  # a correction of the newest row
    assert fg.get_online({"cc_num": 1})["amount"] == 55.0  # type: ignore[index]
    assert len(offline(fg)) == 2


def test_online_lookup_of_unknown_keys_returns_none(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 1.0)))
    assert fg.get_online({"cc_num": 42}) is None
    found = fg.get_online([{"cc_num": 1}, {"cc_num": 42}])
    assert found[0] is not None and found[0]["amount"] == 1.0
    assert found[1] is None


def test_online_ttl_hides_old_rows(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group(
        "recent", primary_key=["cc_num"], event_time="ts", online=True, ttl=timedelta(days=1)
    )
    now = datetime.now(UTC)
    fg.insert(
        [{"cc_num": 1, "ts": now, "v": 1}, {"cc_num": 2, "ts": now - timedelta(days=2), "v": 2}]
    )
    assert fg.get_online({"cc_num": 1}) is not None
    assert fg.get_online({"cc_num": 2}) is None


def test_composite_primary_key(fs: fh.FeatureStore) -> None:
    fg = fs.create_feature_group(
        "card_merchant", primary_key=["cc_num", "merchant"], event_time="ts", online=True
    )
    fg.insert(
        [
            {"cc_num": 1, "merchant": "a", "ts": at(0), "n": 1},
            {"cc_num": 1, "merchant": "b", "ts": at(0), "n": 2},
            {"cc_num": 1, "merchant": "a", "ts": at(1), "n": 3},
        ]
    )
    assert fg.get_online({"cc_num": 1, "merchant": "a"})["n"] == 3  # type: ignore[index]
    assert fg.get_online({"cc_num": 1, "merchant": "b"})["n"] == 2  # type: ignore[index]
    fg.delete(keys=[{"cc_num": 1, "merchant": "a"}])
    assert fg.get_online({"cc_num": 1, "merchant": "a"}) is None
    assert fg.read().num_rows == 1


def test_delete_by_keys_dataframe_and_where(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 10.0), (1, 1, 11.0), (2, 0, 20.0), (3, 0, -1.0), (4, 0, 40.0)))
    assert fg.delete(keys=[{"cc_num": 1}]).rows_deleted == 2
    assert fg.delete(keys=pd.DataFrame({"cc_num": [2]})).rows_deleted == 1
    assert fg.delete(where="amount < 0").rows_deleted == 1
    assert [r[0] for r in offline(fg)] == [4]
    assert [fg.get_online({"cc_num": k}) for k in (1, 2, 3)] == [None, None, None]
    assert fg.get_online({"cc_num": 4}) is not None


def test_deleting_the_newest_row_brings_back_the_previous_one_online(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 10.0), (1, 1, 11.0)))
    fg.delete(keys=[{"cc_num": 1, "ts": at(1)}])  # one row: key and event time
    assert fg.get_online({"cc_num": 1}) == {"cc_num": 1, "ts": at(0), "amount": 10.0}


def test_commits_record_rows_inserted_updated_deleted(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 1.0), (2, 0, 2.0)))
    fg.insert(rows((1, 0, 1.5), (3, 0, 3.0)))
    fg.delete(keys=[{"cc_num": 2}])
    history = [(c.operation, c.rows_inserted, c.rows_updated, c.rows_deleted) for c in fg.commits()]
    assert history[-3:] == [("insert", 2, 0, 0), ("insert", 1, 1, 0), ("delete", 0, 0, 1)]
    versions = [c.version for c in fg.commits()]
    assert versions == sorted(versions)


def test_additive_schema_evolution_in_place(fg: fh.FeatureGroup, fs: fh.FeatureStore) -> None:
    fg.insert(rows((1, 0, 1.0)))
    result = fg.insert([{"cc_num": 2, "ts": at(1), "amount": 2.0, "category": "travel"}])
    assert result.added_columns == ("category",)
    again = fs.get_feature_group("transactions")
    assert again.schema is not None and again.schema.names == ["cc_num", "ts", "amount", "category"]
    table = fg.read().to_arrow().sort_by("cc_num")
    assert table.column("category").to_pylist() == [None, "travel"]
    assert fg.get_online({"cc_num": 1})["category"] is None  # type: ignore[index]
    assert fg.get_online({"cc_num": 2})["category"] == "travel"  # type: ignore[index]
    assert offline(fg, as_of=result.version - 1) == [(1, at(0), 1.0)]


def test_widening_casts_are_accepted(fg: fh.FeatureGroup) -> None:
    fg.insert(rows((1, 0, 1.0)))
    fg.insert(pa.table({"cc_num": pa.array([2], pa.int32()), "ts": [at(0)], "amount": [7]}))
    assert offline(fg)[-1] == (2, at(0), 7.0)


def test_declared_schema_creates_the_table(fs: fh.FeatureStore) -> None:
    schema = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("ns")), ("x", pa.float32())])
    fg = fs.create_feature_group("declared", primary_key=["id"], event_time="ts", schema=schema)
    assert fg.schema is not None and fg.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert fg.read().num_rows == 0
    fg.insert([{"id": 1, "ts": at(0), "x": 1.5}])
    assert fg.read().to_arrow().column("x").type == pa.float32()


def test_versions_and_listing(fs: fh.FeatureStore) -> None:
    fs.create_feature_group("a", primary_key=["id"], event_time="ts")
    fs.create_feature_group("a", primary_key=["id"], event_time="ts", description="second")
    fs.create_feature_group("b", version=3, primary_key=["id"], event_time="ts")
    assert fs.get_feature_group("a").version == 2
    assert fs.get_feature_group("a", version=1).description == ""
    assert [(g.name, g.version) for g in fs.list_feature_groups()] == [("a", 1), ("a", 2), ("b", 3)]


def test_project_persists_across_connections(home: object) -> None:
    with fh.connect(home) as fs:  # type: ignore[arg-type]
        fs.create_feature_group("tx", primary_key=["id"], event_time="ts", online=True).insert(
            [{"id": 1, "ts": at(0), "v": 1.0}]
        )
    with fh.connect(home) as fs:  # type: ignore[arg-type]
        fg = fs.get_feature_group("tx")
        assert fg.read().num_rows == 1
        assert fg.get_online({"id": 1}) == {"id": 1, "ts": at(0), "v": 1.0}


def test_sync_online_rebuild_restores_a_lost_online_store(
    fs: fh.FeatureStore, home: object
) -> None:
    fg = fs.create_feature_group("tx", primary_key=["id"], event_time="ts", online=True)
    fg.insert([{"id": i, "ts": at(i), "v": float(i)} for i in range(5)])
    fs._services.online.drop(fg._spec.online_table)
    assert fg.get_online({"id": 3}) is None
    assert fg.sync_online(rebuild=True) == 5
    assert fg.get_online({"id": 3}) == {"id": 3, "ts": at(3), "v": 3.0}
