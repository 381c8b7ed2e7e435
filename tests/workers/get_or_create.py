"""A process that calls ``get_or_create_feature_group`` / ``_view`` at the same moment as
others (released together by a barrier), for tests/test_porting_api.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

import featurehouse as fh

SCHEMA = pa.schema([("k", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")), ("x", pa.float64())])


def get_or_create(home: str, barrier: Any, results: Any) -> None:
    with fh.connect(Path(home)) as fs:
        barrier.wait()
        try:
            group = fs.get_or_create_feature_group(
                "accounts", primary_key=["k"], event_time="ts", ttl=60.0, schema=SCHEMA
            )
            view = fs.get_or_create_feature_view(
                "accounts_view", query=group.select_all(), description="v"
            )
            results.put(("ok", group.version, view.version))
        except Exception as exc:  # reported to the test, which fails on it
            results.put(("error", type(exc).__name__, str(exc)))
