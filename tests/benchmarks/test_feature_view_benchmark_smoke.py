"""The feature-view benchmark runs end to end at a tiny size, without Feast, and
featurehouse's training data equals the hand-written DuckDB ASOF query's, value for value.

Correctness only: no timing is asserted.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def on_path() -> Iterator[None]:
    # The measured steps run in spawned processes, which import the fvbench modules by name
    # from the parent's sys.path: keep the directory on it while the tests run.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def bench(on_path: None) -> ModuleType:
    """The script: its ``run`` is ``fvbench.runner.run``."""
    return importlib.import_module("feature_views")


def test_featurehouse_and_duckdb_give_identical_training_data(
    bench: ModuleType, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq
    from fvbench.data import Scale, all_features

    scale = Scale("tiny", entities=300, spine_rows=3_000)
    results = bench.run(
        [scale], feast=False, repeat=1, lookups=200, calls=20, data_dir=tmp_path, keep=True
    )

    offline = results["scales"]["tiny"]["offline"]
    # Polars (an optional extra) runs where it is installed.
    floors = ["polars"] if importlib.util.find_spec("polars") else []
    assert set(offline) == {"duckdb", "featurehouse", *floors}
    assert {r["rows"] for r in offline.values()} == {scale.spine_rows}
    for contender in ("featurehouse", *floors):
        correctness = offline[contender]["correctness"]
        assert correctness["identical"], f"{contender}: {correctness}"
        assert correctness["mismatching_values"] == 0

    # Independently of ``compare``: the two tables, in spine order, hold the same values,
    # including the nulls of unknown entities and of times before an entity's first row.
    out = Path(results["config"]["data_dir"]) / "tiny" / "out"
    columns = ["entity_id", "row", *all_features()]
    reference = pq.read_table(out / "duckdb.parquet").select(columns)
    for contender in ("featurehouse", *floors):
        table = pq.read_table(out / f"{contender}.parquet").select(columns)
        assert table.cast(reference.schema).equals(reference), contender
    assert reference.column("f1_0").null_count > 0
    assert offline["featurehouse"]["checksum"] == pytest.approx(offline["duckdb"]["checksum"])

    online = results["scales"]["tiny"]["online"]["featurehouse"]
    assert online["single"]["found"] == 200
    assert online["single"]["features"] == 30
    assert online["batch"]["found"] == 20 * 100
