"""The benchmark runs end to end at its smallest size and every contender did the same work.

Correctness only: no timing is asserted.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def on_path() -> Iterator[None]:
    # The measured steps run in spawned processes, which import the fgbench modules by name
    # from the parent's sys.path: keep the directory on it while the tests run.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def bench(on_path: None) -> ModuleType:
    """The script: its ``run`` is ``fgbench.runner.run``."""
    return importlib.import_module("feature_groups")


@pytest.fixture(scope="module")
def data(on_path: None) -> ModuleType:
    return importlib.import_module("fgbench.data")


def test_smallest_run_gives_the_same_rows_for_every_contender(
    bench: ModuleType, tmp_path: Path
) -> None:
    rows, upsert_rows, lookups, keys, online_rows = 20_000, 2_000, 500, 2_000, 5_000
    results = bench.run(
        rows=rows,
        upsert_rows=upsert_rows,
        lookups=lookups,
        online_keys=keys,
        online_rows=online_rows,
        redis=False,
        data_dir=tmp_path,
    )

    insert = results["insert"]
    assert {r["rows_inserted"] for r in insert.values()} == {rows}
    assert {r["table_rows"] for r in insert.values()} == {rows}

    upsert = results["upsert"]
    assert set(upsert) == {"featurehouse", "bare", "bare_bounds"}
    corrections = upsert_rows // 2
    assert {r["rows_updated"] for r in upsert.values()} == {corrections}
    assert {r["rows_inserted"] for r in upsert.values()} == {upsert_rows - corrections}
    assert {r["table_rows"] for r in upsert.values()} == {rows + upsert_rows - corrections}

    lookup = results["lookup"]
    assert {r["found"] for r in lookup.values()} == {lookups}
    checksums = [r["checksum"] for r in lookup.values()]
    assert all(math.isclose(c, checksums[0], abs_tol=1e-6) for c in checksums)

    write = results["online_write"]
    assert {write[k]["rows"] for k in ("write_latest", "insert_online", "bare")} == {online_rows}
    assert write["insert_online"]["online_rows_written"] == online_rows

    assert list(tmp_path.iterdir()) == []  # the data directory is removed


def test_upsert_batch_is_half_corrections_of_recent_rows(data: ModuleType) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    events = data.make_events(10_000)
    batch = data.make_upsert(events, 1_000)
    stored = set(zip(events["id"].to_pylist(), events["ts"].to_pylist(), strict=True))
    pairs = list(zip(batch["id"].to_pylist(), batch["ts"].to_pylist(), strict=True))
    assert sum(p in stored for p in pairs) == 500
    assert pc.all(pc.greater_equal(batch["ts"], events["ts"][9_000])).as_py()
    assert batch["ts"].to_pylist() == sorted(batch["ts"].to_pylist())
    assert batch.schema == events.schema
    assert batch.num_rows == len(set(batch["id"].to_pylist()))
    assert isinstance(batch, pa.Table)
