"""Statistics computed in DuckDB agree with a plain numpy / pandas reference on random data,
and are kept per commit, on demand and per training dataset split."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.config import Settings
from featurehouse.core.statistics import BINS, QUANTILES, SAMPLE_ROWS, compute
from featurehouse.errors import NotFoundError

from .conftest import T0


def random_table(seed: int, n: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, n)
    x[rng.random(n) < 0.1] = np.nan  # NaN: neither a value nor a null
    ints = rng.integers(-50, 50, n)
    words = rng.choice(["a", "b", "c", "d", "e", "f"], n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
    null = rng.random(n) < 0.15
    return pa.table(
        {
            "x": pa.array(x, mask=null),
            "ints": pa.array(ints, mask=rng.random(n) < 0.05),
            "word": pa.array(words, mask=rng.random(n) < 0.2),
            "flag": pa.array(rng.random(n) < 0.3),
            "ts": pa.array(((T0.timestamp() + rng.uniform(0, 1e6, n)) * 1e6).astype(np.int64)).cast(
                pa.timestamp("us", tz="UTC")
            ),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_statistics_match_a_numpy_and_pandas_reference(seed: int) -> None:
    table = random_table(seed, 5_000 + seed * 777)
    stats = compute(table)
    frame = table.to_pandas()
    assert stats.row_count == len(frame)
    for name in ("x", "ints"):
        column = frame[name].astype(float)
        values = column.dropna().to_numpy()
        s = stats[name]
        assert s["kind"] == "numeric"
        assert s["nulls"] == int(table.column(name).null_count)
        assert s["nans"] == (int(column.isna().sum()) - s["nulls"])
        assert s["min"] == values.min() and s["max"] == values.max()
        assert s["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert s["stddev"] == pytest.approx(values.std(ddof=1), rel=1e-9)
        expected = np.quantile(values, QUANTILES)
        assert list(s["quantiles"].values()) == pytest.approx(list(expected), rel=1e-12)
        counts, edges = np.histogram(values, BINS, range=(values.min(), values.max()))
        assert s["histogram"]["counts"] == counts.tolist()
        assert s["histogram"]["edges"] == pytest.approx(edges.tolist(), rel=1e-12)
    for name in ("word", "flag"):
        s = stats[name]
        counts = frame[name].value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]).lower()))
        assert s["kind"] == "categorical"
        assert s["cardinality"] == frame[name].nunique()
        assert s["nulls"] == int(frame[name].isna().sum())
        assert [tuple(t) for t in s["top"]] == [(k, v) for k, v in ranked][:10]
    ts = stats["ts"]
    assert ts["kind"] == "time" and ts["nulls"] == 0
    assert pd.Timestamp(ts["min"]) == frame["ts"].min()
    assert pd.Timestamp(ts["max"]) == frame["ts"].max()


def test_edge_cases_one_value_and_all_null() -> None:
    table = pa.table({"c": pa.array([2.5, 2.5, None]), "n": pa.array([None] * 3, pa.int64())})
    stats = compute(table)
    assert stats["c"]["histogram"] == {"edges": [2.5, 2.5], "counts": [2]}
    assert stats["c"]["stddev"] == 0.0
    assert stats["n"]["count"] == 0 and stats["n"]["nulls"] == 3
    assert stats["n"]["histogram"] == {"edges": [], "counts": []}


def test_nan_and_infinities_are_counted_apart_and_every_number_kept_is_finite() -> None:
    inf = float("inf")
    values = [1e308, -1e308, 1e308, inf, -inf, inf, float("nan"), None, 1.0]
    stats = compute(pa.table({"x": pa.array(values), "only_inf": pa.array([inf] * 9)}))
    x = stats["x"]
    assert (x["count"], x["nulls"], x["nans"], x["infinite"]) == (8, 1, 1, 3)
    assert (x["min"], x["max"]) == (-1e308, 1e308)
    assert sum(x["histogram"]["counts"]) == 4
    assert x["histogram"]["counts"][0] == 1 and x["histogram"]["counts"][-1] == 2
    assert x["mean"] == pytest.approx((1e308 + 1.0) / 4)
    assert stats["only_inf"]["infinite"] == 9 and stats["only_inf"]["min"] is None
    json.dumps(stats.to_json(), allow_nan=False)  # plain JSON: no NaN or Infinity


def test_kept_per_commit_on_demand_and_per_training_split(fs: fh.FeatureStore) -> None:
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
        assert kept.columns == compute(batch, ["x", "ints", "word", "flag", "ts"]).columns
        assert "id" not in kept.columns  # the key identifies rows, it is no feature
    whole = group.statistics()
    assert whole.row_count == 2_000
    assert whole["x"]["mean"] == pytest.approx(compute(pa.concat_tables(batches))["x"]["mean"])
    assert group.statistics().computed_at == whole.computed_at  # kept for this table version
    view = fs.create_feature_view("things_view", query=group.select_all())
    td = view.create_training_dataset(splits={"train": 0.75, "test": 0.25})
    for split in ("train", "test"):
        stats = td.split_statistics(split)
        expected = compute(td.read(split).to_arrow())
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


def test_a_large_table_describes_distributions_from_a_sample() -> None:
    n = 1_000_000
    words = np.array([f"w{i % 1_000}" for i in range(n)])
    table = pa.table({"v": np.arange(n, dtype=np.float64), "w": words})
    stats = compute(table)
    v, w = stats["v"], stats["w"]
    assert (v["count"], v["min"], v["max"]) == (n, 0.0, n - 1.0)  # exact over every row
    assert v["mean"] == pytest.approx((n - 1) / 2, rel=1e-12)
    assert v["sampled_rows"] == w["sampled_rows"] == SAMPLE_ROWS
    assert sum(v["histogram"]["counts"]) == SAMPLE_ROWS
    share = SAMPLE_ROWS / BINS
    assert all(0.9 * share < c < 1.1 * share for c in v["histogram"]["counts"])
    assert v["quantiles"]["0.5"] == pytest.approx(n / 2, rel=0.01)
    assert w["cardinality"] == pytest.approx(1_000, rel=0.05)  # estimated
    again = compute(table)  # a seeded sample: the same distributions every time
    assert again["v"]["histogram"] == v["histogram"] and again["w"]["top"] == w["top"]
