"""The validation benchmark runs end to end in its quick configuration, and featurehouse,
hand-written Arrow compute and hand-written DuckDB find the same failures. Values only: no
timing is asserted."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    # The benchmark imports fgbench by name from its own directory.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("validation")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_quick_run_finds_the_same_failures_everywhere(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 20_000
    data_dir = tmp_path / "not" / "there"  # --data-dir creates the directory it names
    results = bench.run(rows, data_dir=str(data_dir), log=lambda _: None, isolate=False)
    bad = int(rows * bench.BAD)
    # each row-level check was broken in `bad` rows; the regex also fails the bad lengths
    assert results["featurehouse"]["counts"] == [bad, bad, bad, 2 * bad, bad, bad]
    assert bench.same(results)
    assert list(data_dir.iterdir()) == []  # the data is removed
    bench.report(results)
    out = capsys.readouterr().out
    assert "same counts and statistics" in out and "DIFFER" not in out
