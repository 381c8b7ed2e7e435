"""A writer process for tests/core/test_concurrency.py (started with the spawn method).

It connects, loads its batches, waits at the shared barrier so that every writer
starts at the same moment, inserts the batches one by one, and writes what it did
(the Delta version and commit attempts of each insert, or the traceback) to a JSON file.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any


def insert_batches(home: str, name: str, paths: list[str], barrier: Any, out: str) -> None:
    report: dict[str, Any] = {"versions": [], "attempts": []}
    try:
        import pyarrow.parquet as pq

        import featurehouse as fh

        fs = fh.connect(home)
        fg = fs.get_feature_group(name, 1)
        batches = [pq.read_table(p) for p in paths]
        barrier.wait()
        for batch in batches:
            result = fg.insert(batch)
            report["versions"].append(result.version)
            report["attempts"].append(result.attempts)
        fs.close()
    except BaseException:
        report["error"] = traceback.format_exc()
        raise
    finally:
        Path(out).write_text(json.dumps(report))
