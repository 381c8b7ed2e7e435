"""Processes that open a new embedded project at the same moment all succeed: the first
switch of a SQLite file to WAL mode, and the creation of the catalog's table, race."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TRIALS = 30  # without the fixes 66 of the 120 opens failed here


def test_processes_opening_new_sqlite_stores_together_all_succeed(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.workers.sqlite_race", str(tmp_path), str(TRIALS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    failures = json.loads(done.stdout)
    assert failures == [], f"{len(failures)} of {4 * TRIALS} opens failed, e.g. {failures[:3]}"
    assert {"catalog.db", "online.db"} <= {p.name for p in (tmp_path / "0").iterdir()}
