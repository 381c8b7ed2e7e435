"""Statistics are kept per commit, on demand and per training dataset split, and equal
the engine's statistics of the same rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.config import Settings
from featurehouse.engine.base import Engine, open_engine
from featurehouse.errors import NotFoundError
from featurehouse.offline.delta import DeltaOfflineStore

from ..engine.tables import random_table
from .conftest import T0


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    opened = open_engine("duckdb://")
    yield opened
    opened.close()


def test_kept_per_commit_on_demand_and_per_training_split(
    fs: fh.FeatureStore, engine: Engine
) -> None:
    group = fs.create_feature_group("things", primary_key=["id"], event_time="ts")
    with pytest.raises(NotFoundError):
        group.statistics()
    batches = []
    for i in range(2):
        batch = random_table(10 + i, 1_000).drop_columns(["ts"])
        batch = batch.append_column("id", pa.array(np.arange(1_000) + i * 1_000))
        batch = batch.append_column(
            "ts", pa.array([T0 + timedelta(hours=i)] * 1_000, pa.timestamp("us", tz="UTC"))
        )
        batches.append(batch)
        version = group.insert(batch).version
        kept = group.statistics(commit=version)
        assert kept.row_count == 1_000
        assert kept.columns == engine.statistics(batch, ["x", "ints", "word", "flag", "ts"]).columns
        assert "id" not in kept.columns  # the key identifies rows, it is no feature
    whole = group.statistics()
    assert whole.row_count == 2_000
    assert whole["x"]["mean"] == pytest.approx(
        engine.statistics(pa.concat_tables(batches))["x"]["mean"]
    )
    assert group.statistics().computed_at == whole.computed_at  # kept for this table version
    view = fs.create_feature_view("things_view", query=group.select_all())
    td = view.create_training_dataset(splits={"train": 0.75, "test": 0.25})
    for split in ("train", "test"):
        stats = td.split_statistics(split)
        expected = engine.statistics(td.read(split).to_arrow())
        assert stats.row_count == td.rows[split] and stats.columns == expected.columns
    with pytest.raises(NotFoundError, match="no split 'valid'"):
        td.split_statistics("valid")


def test_commit_statistics_can_be_turned_off(tmp_path: Path) -> None:
    with fh.FeatureStore(Settings.load(tmp_path, commit_statistics=False)) as fs:
        group = fs.create_feature_group("things", primary_key=["id"], event_time="ts")
        batch = pa.table({"id": [1, 2], "ts": pa.array([T0, T0]), "x": [1.0, 3.0]})
        version = group.insert(batch).version
        with pytest.raises(NotFoundError):
            group.statistics(commit=version)
        assert group.statistics()["x"]["mean"] == 2.0  # on demand, still


def test_a_failed_commit_keeps_no_statistics_and_leaves_no_thread(
    fs: fh.FeatureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statistics are computed while the batch is committed: a commit that fails
    waits for them, then keeps none."""
    group = fs.create_feature_group("things", primary_key=["id"], event_time="ts")
    batch = pa.table({"id": [1, 2], "ts": pa.array([T0, T0]), "x": [1.0, 3.0]})
    first = group.insert(batch).version

    def broken(*_args: object) -> int:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(DeltaOfflineStore, "append", broken)
    later = batch.set_column(1, "ts", pa.array([T0 + timedelta(hours=1)] * 2))
    with pytest.raises(RuntimeError, match="disk is full"):
        group.insert(later)
    assert not [t for t in threading.enumerate() if t.name.startswith("featurehouse-statistics")]
    assert group.statistics(commit=first).row_count == 2
    with pytest.raises(NotFoundError):
        group.statistics(commit=first + 1)
