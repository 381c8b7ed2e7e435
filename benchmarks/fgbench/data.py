"""The input data: generated once with numpy (fixed seeds), written as Arrow IPC files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .measure import Result

if TYPE_CHECKING:
    import pyarrow as pa

FEATURES = 10  # float64 features of the insert, upsert and online-write tables
LOOKUP_FEATURES = 30  # float64 features of the online-lookup table
DAYS = 30  # event times spread over this many days
RECENT = 0.10  # corrections concern the most recent 10% of event time
START = datetime(2025, 1, 1, tzinfo=UTC)
SEED = 20250101


def _features(rng: Any, n: int, count: int) -> dict[str, Any]:
    values = rng.standard_normal((count, n))
    return {f"f{i}": values[i] for i in range(count)}


def _timestamps(values: Any) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, pa.timestamp("us", tz="UTC"))


def make_events(rows: int, features: int = FEATURES, seed: int = SEED) -> pa.Table:
    """``rows`` events: unique ``id``, ``ts`` sorted over DAYS days, float64 features."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    start = int(START.timestamp() * 1_000_000)
    ts = start + np.sort(rng.integers(0, DAYS * 86_400 * 1_000_000, rows, dtype=np.int64))
    ids = rng.permutation(rows).astype(np.int64)
    return pa.table({"id": ids, "ts": _timestamps(ts), **_features(rng, rows, features)})


def make_upsert(events: pa.Table, rows: int, seed: int = SEED + 1) -> pa.Table:
    """Half corrections of stored (id, ts) in the most recent RECENT of time, half new keys."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = events.num_rows
    first = int(n * (1 - RECENT))  # events are sorted by time: the recent ones are last
    corrections = rows // 2
    fresh = rows - corrections
    if corrections > n - first:
        raise ValueError(f"--upsert-rows {rows} needs at most {2 * (n - first)} for {n} rows")
    picked = first + rng.choice(n - first, size=corrections, replace=False)
    ts_all = events.column("ts").cast(pa.int64()).to_numpy()
    ids = np.concatenate(
        [events.column("id").to_numpy()[picked], np.arange(n, n + fresh, dtype=np.int64)]
    )
    ts = np.concatenate([ts_all[picked], rng.integers(ts_all[first], ts_all[-1] + 1, fresh)])
    order = np.argsort(ts, kind="stable")  # a pipeline writes in time order
    feats = {k: v[order] for k, v in _features(rng, rows, FEATURES).items()}
    return pa.table({"id": ids[order], "ts": _timestamps(ts[order]), **feats})


def make_data(
    root: Path, rows: int, upsert_rows: int, online_keys: int, lookups: int, online_rows: int
) -> Result:
    """Write every input as an Arrow IPC file under ``root`` (in a child: the parent stays
    small, so that the processes it spawns start small)."""
    import numpy as np
    import pyarrow as pa

    events = make_events(rows)
    write_table(events, root / "events.arrow")
    write_table(make_upsert(events, upsert_rows), root / "upsert.arrow")
    del events
    lookup_table = make_events(online_keys, LOOKUP_FEATURES, seed=SEED + 2)
    write_table(lookup_table, root / "lookup.arrow")
    rng = np.random.default_rng(SEED + 3)
    keys = rng.choice(lookup_table.column("id").to_numpy(), size=lookups)
    write_table(pa.table({"id": keys}), root / "keys.arrow")
    make_online_write_data(root, online_rows)
    return {}


def make_online_write_data(root: Path, online_rows: int) -> Result:
    """The input of the online write (case 4) alone."""
    write_table(make_events(online_rows, seed=SEED + 4), root / "online.arrow")
    return {}


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow IPC file (every benchmark's input and output format)."""
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=1_000_000)


def read_table(path: Path) -> pa.Table:
    """Read into ordinary memory (not a memory map), as a pipeline's batch would be."""
    import pyarrow as pa

    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()
