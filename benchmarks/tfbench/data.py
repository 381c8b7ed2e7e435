"""The input data, generated with numpy (fixed seeds) and written as Arrow IPC files:
one table per feature group (one row per entity), the spine of the training dataset
(entity, time after every group row, the request parameter ``amount``) and the online
requests (entity, amount)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fgbench.data import write_table

from .features import CATEGORIES, EVENT_TIME, FLOATS, GROUPS, KEY, REQUEST, STANDARD

if TYPE_CHECKING:
    import pyarrow as pa

START = datetime(2025, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 1_000_000
SEED = 20250301


def _timestamps(rng: Any, n: int, first_day: int, days: int) -> pa.Array:
    import pyarrow as pa

    start = int(START.timestamp() * 1_000_000) + first_day * DAY_US
    return pa.array(start + rng.integers(0, days * DAY_US, n), pa.timestamp("us", tz="UTC"))


def make_group(group: int, entities: int) -> pa.Table:
    """``entity_id``, ``ts`` in the first 30 days, ``fK_0`` .. ``fK_8``, ``cK``."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED + group)
    columns: dict[str, Any] = {
        KEY: np.arange(entities, dtype=np.int64),
        EVENT_TIME: _timestamps(rng, entities, 0, 30),
    }
    for i in range(FLOATS):
        if i < STANDARD:  # normal, centred away from 0, some negative
            values = rng.normal((i - 2) * 10.0, 1.0 + i, entities)
        else:  # skewed, with negatives: min-max scaling is sensitive to the tails
            values = rng.lognormal(0.0, 1.0, entities) * 10.0 - 5.0 * i
        columns[f"f{group}_{i}"] = values
    weights = np.arange(len(CATEGORIES), 0, -1, dtype=float)
    categories = rng.choice(np.array(CATEGORIES), entities, p=weights / weights.sum())
    columns[f"c{group}"] = pa.array(categories.tolist(), pa.string())
    return pa.table(columns)


def make_spine(entities: int, rows: int) -> pa.Table:
    """Training events in days 31 to 60 (after every group row), with ``amount``."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED + 10)
    return pa.table(
        {
            KEY: rng.integers(0, entities, rows, dtype=np.int64),
            EVENT_TIME: _timestamps(rng, rows, 31, 30),
            REQUEST: rng.gamma(2.0, 50.0, rows),
        }
    )


def make_requests(entities: int, calls: int) -> pa.Table:
    """The online requests: an entity and an amount each."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED + 11)
    return pa.table(
        {
            KEY: rng.integers(0, entities, calls, dtype=np.int64),
            REQUEST: np.round(rng.gamma(2.0, 50.0, calls), 2),
        }
    )


def make_data(root: Path, entities: int, spine_rows: int, calls: int) -> dict[str, Any]:
    """Write every input under ``root`` (in a child: the parent stays small)."""
    for group in range(GROUPS):
        write_table(make_group(group, entities), root / f"g{group}.arrow")
    write_table(make_spine(entities, spine_rows), root / "spine.arrow")
    write_table(make_requests(entities, calls), root / "requests.arrow")
    return {}
