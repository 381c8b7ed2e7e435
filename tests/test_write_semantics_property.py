"""Random sequences of inserts and deletes against an obviously-right model of the store.

The model: offline is a dict {(key, event time): row} where a later write replaces;
online holds, per key, the offline row with the greatest event time.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import featurehouse as fh

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = st.integers(min_value=0, max_value=5)
TIMES = st.integers(min_value=0, max_value=4).map(lambda h: T0 + timedelta(hours=h))
ROW = st.fixed_dictionaries({"id": KEYS, "ts": TIMES, "v": st.integers(-100, 100)})
OPERATION = st.one_of(
    st.tuples(st.just("insert"), st.lists(ROW, min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.lists(KEYS, min_size=1, max_size=2, unique=True)),
)
_names = itertools.count()


def apply_to_model(model: dict[tuple[int, datetime], int], operation: tuple[str, Any]) -> None:
    kind, payload = operation
    if kind == "insert":
        for row in payload:
            model[(row["id"], row["ts"])] = row["v"]
    else:
        for key in [k for k in model if k[0] in payload]:
            del model[key]


def expected_online(model: dict[tuple[int, datetime], int], key: int) -> dict[str, Any] | None:
    times = [ts for (k, ts) in model if k == key]
    if not times:
        return None
    newest = max(times)
    return {"id": key, "ts": newest, "v": model[(key, newest)]}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, min_size=1, max_size=6))
def test_store_matches_the_model(tmp_path: Path, operations: list[tuple[str, Any]]) -> None:
    with fh.connect(tmp_path / "project") as fs:
        fg = fs.create_feature_group(
            f"g{next(_names)}", primary_key=["id"], event_time="ts", online=True
        )
        model: dict[tuple[int, datetime], int] = {}
        for operation in operations:
            if operation[0] == "insert":
                fg.insert(operation[1])
            elif fg.schema is not None:
                fg.delete(keys=[{"id": k} for k in operation[1]])
            else:
                continue  # nothing inserted yet: no table to delete from
            apply_to_model(model, operation)
        if fg.schema is None:
            return
        table = fg.read().to_arrow()
        stored = {
            (k, ts): v
            for k, ts, v in zip(
                *(table.column(c).to_pylist() for c in ("id", "ts", "v")), strict=True
            )
        }
        assert len(stored) == table.num_rows  # no duplicate (key, event time)
        assert stored == model
        for key in range(6):
            assert fg.get_online({"id": key}) == expected_online(model, key)
