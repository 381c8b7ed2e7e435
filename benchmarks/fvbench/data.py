"""The input data, generated once with numpy (fixed seeds) and written as Parquet files.

Three feature groups ``g1``..``g3``: one row per entity per day over DAYS days (event time
random within the day), columns ``entity_id``, ``ts`` and ``f<g>_0``..``f<g>_9``. The spine:
``entity_id`` (random, UNKNOWN of them ids that no group holds), ``ts`` (random within the
DAYS days; EXACT of the rows take exactly the event time of one of their entity's group
rows, to check that a row at the spine's time counts, as ``<=`` says), ``label`` and
``row`` (its index, which every contender carries through, so that results can be matched
row by row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

GROUPS = 3
FEATURES = 10  # float64 features per group
DAYS = 30
UNKNOWN = 0.02  # share of spine rows whose entity id no group holds
EXACT = 0.01  # share of spine rows at exactly the event time of a row of their entity
START = datetime(2025, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 1_000_000
SEED = 20250301
ROW_GROUP = 122_880  # rows per Parquet row group (DuckDB's own row-group size)


@dataclass(frozen=True)
class Scale:
    name: str
    entities: int
    spine_rows: int

    @property
    def group_rows(self) -> int:
        return self.entities * DAYS


SCALES = {
    "XS": Scale("XS", 1_000, 10_000),
    "S": Scale("S", 10_000, 100_000),
    "M": Scale("M", 100_000, 1_000_000),
    "L": Scale("L", 333_334, 2_000_000),  # 10,000,020 rows per group
}


def group_names() -> list[str]:
    return [f"g{g}" for g in range(1, GROUPS + 1)]


def feature_names(group: int) -> list[str]:
    return [f"f{group}_{i}" for i in range(FEATURES)]


def all_features() -> list[str]:
    return [f for g in range(1, GROUPS + 1) for f in feature_names(g)]


def _timestamps(values: Any) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, pa.timestamp("us", tz="UTC"))


def make_group(entities: int, group: int, seed: int = SEED) -> pa.Table:
    """One row per entity per day, sorted by event time (as a daily pipeline appends)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed + group)
    start = int(START.timestamp() * 1_000_000)
    days = np.repeat(np.arange(DAYS, dtype=np.int64), entities)
    ts = start + days * DAY_US + rng.integers(0, DAY_US, entities * DAYS, dtype=np.int64)
    ids = np.tile(np.arange(entities, dtype=np.int64), DAYS)
    order = np.argsort(ts, kind="stable")
    values = rng.standard_normal((FEATURES, entities * DAYS))
    columns = {"entity_id": ids[order], "ts": _timestamps(ts[order])}
    columns.update({name: values[i][order] for i, name in enumerate(feature_names(group))})
    return pa.table(columns)


def make_spine(
    entities: int, rows: int, groups: list[pa.Table] | None = None, seed: int = SEED + 10
) -> pa.Table:
    """Random entities (UNKNOWN of them unknown) at random times within the DAYS days; with
    ``groups``, EXACT of the rows at the event time of one of their entity's group rows."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    known = rng.integers(0, entities, rows, dtype=np.int64)
    unknown = rng.random(rows) < UNKNOWN
    ids = np.where(unknown, entities + rng.integers(0, max(1, entities), rows), known)
    start = int(START.timestamp() * 1_000_000)
    ts = start + rng.integers(0, DAYS * DAY_US, rows, dtype=np.int64)
    if groups:
        exact = np.flatnonzero(~unknown & (rng.random(rows) < EXACT))
        picks = rng.integers(0, len(groups), exact.size)
        days = rng.integers(0, DAYS, exact.size)
        for g, table in enumerate(groups):
            times = np.empty((DAYS, entities), np.int64)  # event time by (day, entity)
            group_ts = table.column("ts").cast(pa.int64()).to_numpy()
            times[(group_ts - start) // DAY_US, table.column("entity_id").to_numpy()] = group_ts
            chosen = exact[picks == g]
            ts[chosen] = times[days[picks == g], ids[chosen]]
    return pa.table(
        {
            "entity_id": ids,
            "ts": _timestamps(ts),
            "label": rng.integers(0, 2, rows, dtype=np.int64),
            "row": np.arange(rows, dtype=np.int64),
        }
    )


def make_keys(entities: int, count: int, seed: int = SEED + 20) -> pa.Table:
    """Entity ids for the online lookups (all known)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    return pa.table({"entity_id": rng.integers(0, entities, count, dtype=np.int64)})


def make_data(root: Path, entities: int, spine_rows: int, keys: int) -> dict[str, Any]:
    """Write ``g1..g3.parquet``, ``spine.parquet`` and ``keys.parquet`` under ``root`` (run
    in a child, so that the parent stays small)."""
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    groups = [make_group(entities, group) for group in range(1, GROUPS + 1)]
    for table, name in zip(groups, group_names(), strict=True):
        pq.write_table(table, root / f"{name}.parquet", ROW_GROUP)
    spine = make_spine(entities, spine_rows, groups)
    pq.write_table(spine, root / "spine.parquet", ROW_GROUP)
    pq.write_table(make_keys(entities, keys), root / "keys.parquet")
    return {}


def read_parquet(path: Path) -> pa.Table:
    """Into ordinary memory, as a pipeline's batch would be."""
    import pyarrow.parquet as pq

    return pq.read_table(path, memory_map=False)
