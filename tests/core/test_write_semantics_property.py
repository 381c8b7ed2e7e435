"""Random sequences of inserts and deletes against an obviously-right model of the store.

The model: offline is a dict {(key, event time): row} where a later write replaces;
online holds, per key, the offline row with the greatest event time.

Generated data covers the whole domain: event times with microseconds, from year 1 to
9999 and within one millisecond of each other (Delta keeps millisecond statistics), NaN
and ±inf floats, 64-bit integer extremes, numpy scalars, unicode and empty strings.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import featurehouse as fh

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = [0, 1, -1, 2**63 - 1, -(2**63)]
ANY_TIME = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999_999)
).map(lambda t: t.replace(tzinfo=UTC))
# Times a microsecond to a millisecond apart, the precision Delta's statistics lose.
NEAR_TIME = st.sampled_from([0, 1, 999, 1_000, 1_001, 123_456]).map(
    lambda us: T0 + timedelta(microseconds=us)
)
# Sub-millisecond times at the ends of the range (delta-rs reads Delta's statistics
# differently after the year 6536).
EDGE_TIME = st.sampled_from(
    [datetime(1, 1, 1, 0, 0, 0, 1), datetime(7000, 6, 1, 0, 0, 0, 2_001), datetime.max]
).map(lambda t: t.replace(tzinfo=UTC))
# A few times per example, so that rows collide on (key, event time): corrections.
TIME_POOL = st.lists(st.one_of(NEAR_TIME, EDGE_TIME, ANY_TIME), min_size=1, max_size=3, unique=True)
INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([-(2**63), 2**63 - 1]))
FLOAT = st.floats(allow_nan=True, allow_infinity=True)
VALUES = {  # numpy scalars too, as rows taken from a pandas frame hold them
    "v": st.one_of(FLOAT, FLOAT.map(np.float64)),
    "n": st.one_of(INT64, INT64.map(np.int64)),
    "s": st.text(max_size=8),
}
_names = itertools.count()


def operations(times: list[datetime]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    row = st.fixed_dictionaries(
        {"id": st.sampled_from(KEYS), "ts": st.sampled_from(times), **VALUES}
    )
    operation = st.one_of(
        st.tuples(st.just("insert"), st.lists(row, min_size=1, max_size=8)),
        st.tuples(
            st.just("delete"), st.lists(st.sampled_from(KEYS), min_size=1, max_size=2, unique=True)
        ),
    )
    return st.lists(operation, min_size=1, max_size=6)


Model = dict[tuple[int, datetime], dict[str, Any]]


def apply_to_model(model: Model, operation: tuple[str, Any]) -> None:
    kind, payload = operation
    if kind == "insert":
        for row in payload:
            model[(row["id"], row["ts"])] = row
    else:
        for key in [k for k in model if k[0] in payload]:
            del model[key]


def expected_online(model: Model, key: int) -> dict[str, Any] | None:
    times = [ts for (k, ts) in model if k == key]
    return model[(key, max(times))] if times else None


def comparable(row: dict[str, Any] | None) -> Any:
    """A row in a form where NaN equals NaN."""
    if row is None:
        return None
    return {c: "NaN" if isinstance(v, float) and math.isnan(v) else v for c, v in row.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=TIME_POOL.flatmap(operations))
def test_store_matches_the_model(tmp_path: Path, steps: list[tuple[str, Any]]) -> None:
    with fh.connect(tmp_path / "project") as fs:
        fg = fs.create_feature_group(
            f"g{next(_names)}", primary_key=["id"], event_time="ts", online=True
        )
        model: Model = {}
        for operation in steps:
            if operation[0] == "insert":
                fg.insert(operation[1])
            elif fg.schema is not None:
                fg.delete(keys=[{"id": k} for k in operation[1]])
            else:
                continue  # nothing inserted yet: no table to delete from
            apply_to_model(model, operation)
        if fg.schema is None:
            return
        stored = fg.read().to_pylist()
        assert len(stored) == len(model)  # no duplicate (key, event time)
        by_key = {(row["id"], row["ts"]): comparable(row) for row in stored}
        assert by_key == {k: comparable(row) for k, row in model.items()}
        for key in KEYS:
            assert comparable(fg.get_online({"id": key})) == comparable(expected_online(model, key))
