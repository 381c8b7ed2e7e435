"""Random tables for the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

T0 = datetime(2026, 1, 1, tzinfo=UTC)


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
