"""The fraud example's data and features: the generator is deterministic and injects
learnable fraud; the DuckDB window aggregates equal a plain-Python reference on random
transactions (ties and exact window boundaries included); the on-demand features compute
the same value for one request as over many rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from featurehouse.examples.fraud.data import SMALL, generate
from featurehouse.examples.fraud.features import distance_from_home, seconds_since_last
from featurehouse.examples.fraud.windows import WINDOWS, card_activity

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SPANS = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1), "1d": timedelta(days=1)}


def test_the_generator_is_deterministic() -> None:
    first, again = generate(SMALL), generate(SMALL)
    for name in ("cards", "merchants", "transactions"):
        assert first[name].equals(again[name]), name
    other = generate(SMALL.__class__(**{**SMALL.__dict__, "seed": SMALL.seed + 1}))
    assert not other["transactions"].equals(first["transactions"])


def test_fraud_is_injected_in_patterns() -> None:
    tables = generate(SMALL)
    tx = tables["transactions"].to_pandas()
    fraud, honest = tx[tx.is_fraud == 1], tx[tx.is_fraud == 0]
    assert 0.005 < len(fraud) / len(tx) < 0.1
    assert fraud.amount.median() > 2 * honest.amount.median()
    live = tx[tx.ts >= SMALL.live_start]
    assert live.is_fraud.sum() >= 3  # the live window always holds a burst
    assert tx.ts.is_monotonic_increasing and tx.tx_id.is_unique


def reference(rows: list[dict[str, object]]) -> dict[str, dict[str, float | None]]:
    """Per transaction: count and sum of its card's transactions with time in
    [t - window, t], and the latest time strictly before t — by brute force."""
    out: dict[str, dict[str, float | None]] = {}
    for row in rows:
        same = [r for r in rows if r["cc_num"] == row["cc_num"]]
        t = row["ts"]
        values: dict[str, float | None] = {}
        for name, span in SPANS.items():
            inside = [r for r in same if t - span <= r["ts"] <= t]  # type: ignore[operator]
            values[f"tx_count_{name}"] = len(inside)
            values[f"amount_sum_{name}"] = sum(r["amount"] for r in inside)  # type: ignore[misc]
        before = [r["ts"] for r in same if r["ts"] < t]  # type: ignore[operator]
        values["prev_unix"] = max(before).timestamp() if before else None  # type: ignore[type-var,attr-defined]
        out[str(row["tx_id"])] = values
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_aggregates_match_a_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    # whole minutes over two days: many ties and transactions exactly 10 minutes,
    # 1 hour or 1 day apart, the edges of the windows
    minutes = rng.integers(0, 2 * 24 * 60, n)
    ts = [T0 + timedelta(minutes=int(m)) for m in minutes]
    table = pa.table(
        {
            "tx_id": [f"t{i}" for i in range(n)],
            "cc_num": rng.integers(1, 6, n),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "merchant_id": rng.integers(1, 10, n),
            "amount": np.round(rng.uniform(1, 500, n), 2),
        }
    )
    got = card_activity(table)
    assert got.num_rows == n
    assert got.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    expected = reference(table.to_pylist())
    for row in got.to_pylist():
        want = expected[row["tx_id"]]
        for name in WINDOWS:
            assert row[f"tx_count_{name}"] == want[f"tx_count_{name}"], (row, name)
            assert row[f"amount_sum_{name}"] == pytest.approx(want[f"amount_sum_{name}"])
        if want["prev_unix"] is None:
            assert row["prev_unix"] is None or math.isnan(row["prev_unix"])
        else:
            assert row["prev_unix"] == pytest.approx(want["prev_unix"])


def test_on_demand_features_agree_row_by_row_and_vectorized() -> None:
    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(35, 60, 50), rng.uniform(-10, 25, 50)
    home_lat, home_lon = rng.uniform(35, 60, 50), rng.uniform(-10, 25, 50)
    many = distance_from_home(lat, lon, home_lat, home_lon)
    for i in range(50):
        one = distance_from_home.compute_one(
            {"lat": lat[i], "lon": lon[i], "home_lat": home_lat[i], "home_lon": home_lon[i]}
        )
        assert one == pytest.approx(many[i])
    berlin_paris = distance_from_home(48.86, 2.35, 52.52, 13.40)
    assert berlin_paris == pytest.approx(878, abs=5)  # km, as the crow flies
    assert seconds_since_last.compute_one({"unix_time": 100.0, "prev_unix": None}) is None
    assert seconds_since_last.compute_one({"unix_time": 100.0, "prev_unix": 40.0}) == 60.0
