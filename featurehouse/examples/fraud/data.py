"""A deterministic synthetic card network: card holders with a home, merchants with a
location and category, and transactions with injected fraud.

Fraud comes in patterns a model can learn: bursts of several transactions within minutes,
at risky merchants in another city, for unusual amounts; and single large card-not-present
purchases far from home. Honest card holders travel and splurge sometimes too, so no
single signal gives fraud away. The same seed and sizes give the same tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import numpy as np

CITIES = (
    (52.52, 13.40),  # Berlin
    (48.86, 2.35),  # Paris
    (40.42, -3.70),  # Madrid
    (41.90, 12.50),  # Rome
    (48.21, 16.37),  # Vienna
    (52.37, 4.90),  # Amsterdam
    (52.23, 21.01),  # Warsaw
    (38.72, -9.14),  # Lisbon
)
# category -> typical amount (EUR); fraudsters prefer the last three
CATEGORIES = {
    "grocery": 35.0,
    "fuel": 50.0,
    "restaurant": 40.0,
    "pharmacy": 25.0,
    "clothing": 80.0,
    "online": 60.0,
    "electronics": 250.0,
    "jewelry": 400.0,
}
RISKY = ("online", "electronics", "jewelry")


@dataclass(frozen=True)
class FraudDataSize:
    """How big the synthetic world is; ``end`` is the time of its last transaction."""

    cards: int = 1_000
    merchants: int = 200
    days: int = 30
    fraud_rate: float = 0.004  # fraud events per card and day
    live_hours: float = 2.0  # the last hours are held back as live traffic
    end: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    seed: int = 7

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "end": self.end.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FraudDataSize:
        return cls(**{**data, "end": datetime.fromisoformat(data["end"])})

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def live_start(self) -> datetime:
        return self.end - timedelta(hours=self.live_hours)


SMALL = FraudDataSize(cards=300, merchants=60, days=8, fraud_rate=0.012)


def generate(size: FraudDataSize) -> dict[str, pa.Table]:
    """``cards``, ``merchants`` and ``transactions`` (with the ``is_fraud`` label)."""
    import numpy as np

    rng = np.random.default_rng(size.seed)
    cards = _cards(rng, size)
    merchants = _merchants(rng, size)
    parts = [
        _honest(rng, size, cards, merchants),
        _fraud(
            rng,
            size,
            cards,
            merchants,
            events=int(rng.poisson(size.fraud_rate * size.cards * size.days)),
        ),
        # one burst in the live window, so live traffic always holds some fraud
        _fraud(rng, size, cards, merchants, events=1, after=size.live_start, burst_only=True),
    ]
    return {
        "cards": _card_table(size, cards),
        "merchants": _merchant_table(size, merchants),
        "transactions": _transactions(size, parts, merchants),
    }


def _cards(rng: np.random.Generator, size: FraudDataSize) -> dict[str, np.ndarray]:
    import numpy as np

    city = rng.integers(0, len(CITIES), size.cards)
    centres = np.array(CITIES)[city]
    return {
        "cc_num": np.arange(1, size.cards + 1, dtype=np.int64),
        "city": city,
        "home_lat": centres[:, 0] + rng.normal(0, 0.05, size.cards),
        "home_lon": centres[:, 1] + rng.normal(0, 0.05, size.cards),
        "age": rng.integers(18, 86, size.cards),
        "credit_limit": rng.choice([1_000.0, 2_500.0, 5_000.0, 10_000.0], size.cards),
        "spend": rng.lognormal(0.0, 0.35, size.cards),  # how much a holder spends, relative
        "rate": rng.gamma(4.0, 0.5, size.cards),  # transactions per day
    }


def _merchants(rng: np.random.Generator, size: FraudDataSize) -> dict[str, np.ndarray]:
    import numpy as np

    city = rng.integers(0, len(CITIES), size.merchants)
    centres = np.array(CITIES)[city]
    names = list(CATEGORIES)
    return {
        "merchant_id": np.arange(1, size.merchants + 1, dtype=np.int64),
        "city": city,
        "lat": centres[:, 0] + rng.normal(0, 0.05, size.merchants),
        "lon": centres[:, 1] + rng.normal(0, 0.05, size.merchants),
        "category": rng.choice(
            names, size.merchants, p=[0.22, 0.14, 0.18, 0.1, 0.1, 0.12, 0.08, 0.06]
        ),
    }


def _honest(
    rng: np.random.Generator,
    size: FraudDataSize,
    cards: dict[str, np.ndarray],
    merchants: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    import numpy as np

    counts = rng.poisson(cards["rate"] * size.days)
    card_index = np.repeat(np.arange(size.cards), counts)
    n = card_index.size
    seconds = rng.uniform(0, size.days * 86_400, n)
    # mostly a merchant of the holder's city; sometimes anywhere (travel, online shops)
    local = rng.random(n) < 0.92
    merchant = rng.integers(0, size.merchants, n)
    by_city = [np.flatnonzero(merchants["city"] == c) for c in range(len(CITIES))]
    for c, candidates in enumerate(by_city):
        rows = np.flatnonzero(local & (cards["city"][card_index] == c))
        if candidates.size and rows.size:
            merchant[rows] = rng.choice(candidates, rows.size)
    base = np.array([CATEGORIES[c] for c in merchants["category"][merchant]])
    splurge = np.where(rng.random(n) < 0.02, rng.uniform(2, 6, n), 1.0)
    amount = base * cards["spend"][card_index] * rng.lognormal(0, 0.5, n) * splurge
    # shopping sprees: a few purchases follow one another within minutes
    spree = np.flatnonzero(rng.random(n) < 0.03)
    follow = np.repeat(spree, rng.integers(1, 4, spree.size))
    card_index = np.concatenate([card_index, card_index[follow]])
    merchant = np.concatenate([merchant, merchant[follow]])
    seconds = np.concatenate([seconds, seconds[follow] + rng.exponential(240.0, follow.size)])
    amount = np.concatenate([amount, amount[follow] * rng.lognormal(0, 0.5, follow.size)])
    return _rows(card_index, merchant, seconds, amount, np.zeros(card_index.size, np.int64))


def _fraud(
    rng: np.random.Generator,
    size: FraudDataSize,
    cards: dict[str, np.ndarray],
    merchants: dict[str, np.ndarray],
    *,
    events: int,
    after: datetime | None = None,
    burst_only: bool = False,
) -> dict[str, np.ndarray]:
    import numpy as np

    first = 0.0 if after is None else (after - size.start).total_seconds()
    last = size.days * 86_400 - 3_600  # leave room for a burst before the end
    risky = np.flatnonzero(np.isin(merchants["category"], RISKY))
    card_index, merchant, seconds, amount = [], [], [], []
    for _ in range(events):
        card = int(rng.integers(0, size.cards))
        # mostly far from home; sometimes a skimmed card is used in its own city
        foreign = risky[merchants["city"][risky] != cards["city"][card]]
        pool = foreign if foreign.size and rng.random() < 0.7 else risky
        burst = burst_only or rng.random() < 0.6
        count = int(rng.integers(3, 8)) if burst else 1
        t0 = rng.uniform(first, max(first + 1, last))
        gaps = np.cumsum(rng.exponential(180.0, count)) if burst else np.zeros(1)
        chosen = rng.choice(pool, count)
        base = np.array([CATEGORIES[c] for c in merchants["category"][chosen]])
        card_index += [card] * count
        merchant += list(chosen)
        seconds += list(t0 + gaps)
        amount += list(base * rng.uniform(1.0, 5.0, count))
    return _rows(
        np.array(card_index, np.int64),
        np.array(merchant, np.int64),
        np.array(seconds, float),
        np.array(amount, float),
        np.ones(len(card_index), np.int64),
    )


def _rows(
    card: np.ndarray,
    merchant: np.ndarray,
    seconds: np.ndarray,
    amount: np.ndarray,
    fraud: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "card": card,
        "merchant": merchant,
        "seconds": seconds,
        "amount": amount,
        "is_fraud": fraud,
    }


def _card_table(size: FraudDataSize, cards: dict[str, np.ndarray]) -> pa.Table:
    issued = size.start - timedelta(days=365)
    return pa.table(
        {
            "cc_num": cards["cc_num"],
            "ts": pa.array([issued] * size.cards, pa.timestamp("us", tz="UTC")),
            "home_lat": cards["home_lat"],
            "home_lon": cards["home_lon"],
            "age": cards["age"].astype("int64"),
            "credit_limit": cards["credit_limit"],
        }
    )


def _merchant_table(size: FraudDataSize, merchants: dict[str, np.ndarray]) -> pa.Table:
    opened = size.start - timedelta(days=365)
    return pa.table(
        {
            "merchant_id": merchants["merchant_id"],
            "ts": pa.array([opened] * size.merchants, pa.timestamp("us", tz="UTC")),
            "category": merchants["category"].astype(str).tolist(),
            "merchant_lat": merchants["lat"],
            "merchant_lon": merchants["lon"],
        }
    )


def _transactions(
    size: FraudDataSize, parts: list[dict[str, np.ndarray]], merchants: dict[str, np.ndarray]
) -> pa.Table:
    """Card-present purchases happen where the merchant is: the request's lat/lon."""
    import numpy as np

    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = rows["seconds"] < size.days * 86_400
    rows = {k: v[keep] for k, v in rows.items()}
    order = np.argsort(rows["seconds"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    start_us = int(size.start.timestamp() * 1_000_000)
    micros = start_us + (rows["seconds"] * 1_000_000).astype(np.int64)
    n = micros.size
    return pa.table(
        {
            "tx_id": [f"tx{i:08d}" for i in range(n)],
            "cc_num": (rows["card"] + 1).astype(np.int64),
            "merchant_id": (rows["merchant"] + 1).astype(np.int64),
            "ts": pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "amount": np.round(rows["amount"], 2),
            "lat": merchants["lat"][rows["merchant"]],
            "lon": merchants["lon"][rows["merchant"]],
            "is_fraud": rows["is_fraud"],
        }
    )
