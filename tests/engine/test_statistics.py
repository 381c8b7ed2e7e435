"""Statistics computed by every engine agree with a plain numpy / pandas reference on
random data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from featurehouse.engine.base import Engine
from featurehouse.engine.statistics import BINS, QUANTILES, SAMPLE_ROWS

from .tables import random_table


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_statistics_match_a_numpy_and_pandas_reference(engine: Engine, seed: int) -> None:
    table = random_table(seed, 5_000 + seed * 777)
    stats = engine.statistics(table)
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


def test_edge_cases_one_value_and_all_null(engine: Engine) -> None:
    table = pa.table({"c": pa.array([2.5, 2.5, None]), "n": pa.array([None] * 3, pa.int64())})
    stats = engine.statistics(table)
    assert stats["c"]["histogram"] == {"edges": [2.5, 2.5], "counts": [2]}
    assert stats["c"]["stddev"] == 0.0
    assert stats["n"]["count"] == 0 and stats["n"]["nulls"] == 3
    assert stats["n"]["histogram"] == {"edges": [], "counts": []}


def test_nan_and_infinities_are_counted_apart_and_every_number_kept_is_finite(
    engine: Engine,
) -> None:
    inf = float("inf")
    values = [1e308, -1e308, 1e308, inf, -inf, inf, float("nan"), None, 1.0]
    stats = engine.statistics(pa.table({"x": pa.array(values), "only_inf": pa.array([inf] * 9)}))
    x = stats["x"]
    assert (x["count"], x["nulls"], x["nans"], x["infinite"]) == (8, 1, 1, 3)
    assert (x["min"], x["max"]) == (-1e308, 1e308)
    assert sum(x["histogram"]["counts"]) == 4
    assert x["histogram"]["counts"][0] == 1 and x["histogram"]["counts"][-1] == 2
    assert x["mean"] == pytest.approx((1e308 + 1.0) / 4)
    assert stats["only_inf"]["infinite"] == 9 and stats["only_inf"]["min"] is None
    json.dumps(stats.to_json(), allow_nan=False)  # plain JSON: no NaN or Infinity


def test_a_large_table_describes_distributions_from_a_sample(engine: Engine) -> None:
    n = 1_000_000
    words = np.array([f"w{i % 1_000}" for i in range(n)])
    table = pa.table({"v": np.arange(n, dtype=np.float64), "w": words})
    stats = engine.statistics(table)
    v, w = stats["v"], stats["w"]
    assert (v["count"], v["min"], v["max"]) == (n, 0.0, n - 1.0)  # exact over every row
    assert v["mean"] == pytest.approx((n - 1) / 2, rel=1e-12)
    assert v["sampled_rows"] == w["sampled_rows"] == SAMPLE_ROWS
    assert sum(v["histogram"]["counts"]) == SAMPLE_ROWS
    share = SAMPLE_ROWS / BINS
    assert all(0.9 * share < c < 1.1 * share for c in v["histogram"]["counts"])
    assert v["quantiles"]["0.5"] == pytest.approx(n / 2, rel=0.01)
    assert w["cardinality"] == pytest.approx(1_000, rel=0.05)  # estimated
    again = engine.statistics(table)  # a seeded sample: the same distributions every time
    assert again["v"]["histogram"] == v["histogram"] and again["w"]["top"] == w["top"]


@pytest.mark.parametrize("odd", [None, float("nan"), float("inf")])
def test_an_in_memory_table_and_a_stored_one_give_the_same_numbers(
    engine: Engine, odd: float | None
) -> None:
    """Float columns without NaN or ±inf take a cheaper query in memory: same numbers."""
    rng = np.random.default_rng(7)
    values = rng.standard_normal(5_000) * 1e6
    values[::7] = 1e300  # large, and repeated: bounds and moments must agree to the bit
    column = pa.array([*values.tolist(), odd, 1e-300, -0.0])
    table = pa.table({"x": column, "i": pa.array(rng.integers(-(2**62), 2**62, 5_003))})
    in_memory = engine.statistics(table)
    assert in_memory.columns == engine.statistics(ds.dataset(table)).columns
    x = in_memory["x"]
    assert (x["nans"], x["infinite"]) == (int(odd != odd), int(odd == float("inf")))
    assert x["count"] == 5_003 - (odd is None)
