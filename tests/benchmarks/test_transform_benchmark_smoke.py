"""The transforms benchmark runs end to end in its quick configuration, and featurehouse's
transformed vectors and table rows equal scikit-learn's ColumnTransformer output for the
same rows. Values only: no timing is asserted."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    # The steps run in spawned processes, which import the tfbench modules by name from
    # the parent's sys.path: keep the directory on it while the tests run.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("transforms")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _assert_same(fh_path: Path, sk_path: Path, rows: int) -> None:
    from fgbench.data import read_table

    ours, theirs = read_table(fh_path), read_table(sk_path)
    assert ours.num_rows == theirs.num_rows == rows
    assert sorted(ours.column_names) == sorted(theirs.column_names)
    for name in ours.column_names:
        np.testing.assert_allclose(
            ours.column(name).to_numpy(zero_copy_only=False).astype(float),
            theirs.column(name).to_numpy(zero_copy_only=False).astype(float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )


def test_quick_run_gives_sklearn_values(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fgbench.data import read_table
    from tfbench.features import features
    from tfbench.report import report

    quick = bench.QUICK
    results = bench.run(**quick, data_dir=tmp_path, keep=True)
    (root,) = tmp_path.iterdir()

    assert sum(results["prepare"]["td_rows"].values()) == quick["spine_rows"]
    online, batch = results["online"], results["batch"]
    assert online["featurehouse"]["transformed"]["calls"] == quick["calls"]
    assert online["sklearn"]["transform"]["calls"] == quick["calls"]
    # 27 scaled floats + 3 one-hot features of 6 categories + 2 on-demand features
    assert online["featurehouse"]["columns_out"] == online["sklearn"]["columns_out"] == 47
    assert online["check"]["equal"] and online["check"]["same_names"]
    _assert_same(root / "fh_vectors.arrow", root / "sk_vectors.arrow", quick["calls"])

    assert batch["featurehouse"]["rows"] == batch["sklearn"]["rows"] == quick["spine_rows"]
    assert batch["featurehouse"]["columns_out"] == batch["sklearn"]["columns_out"] == 47
    assert batch["check"]["equal"]
    stride_rows = len(range(0, quick["spine_rows"], 997))
    _assert_same(root / "fh_batch.arrow", root / "sk_batch.arrow", stride_rows)

    # scikit-learn transformed the untransformed vectors featurehouse served: every feature
    assert read_table(root / "raw_vectors.arrow").column_names == features()

    report(results)
    out = capsys.readouterr().out
    assert "same values" in out and "VALUES DIFFER" not in out
