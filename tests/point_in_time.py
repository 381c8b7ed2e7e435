"""The point-in-time reference and its random scenarios, shared by the feature-store
tests (tests/core/test_point_in_time_property.py) and the engine conformance suite
(tests/engine/test_conformance.py).

The reference is a plain loop over rows and knows nothing of featurehouse's engine:

* a feature group is a dict ``{(key, event time): features}``; a later write of the same
  (key, event time) replaces the earlier one, a delete removes rows;
* for a spine row ``(k, t)``, a group's features are those of its row with key ``k`` and
  the greatest event time ``<= t``; none (nulls) if there is no such row or if that row
  is older than ``t - ttl``;
* a group joined on a feature of an earlier group (merchants on the transactions feature
  ``merchant_id``) is looked up with that feature's point-in-time value; a null key finds
  nothing.

The groups: ``transactions`` (key ``cc_num``, the root), ``profiles`` (key ``cc_num``) and
``merchants`` (key ``id``, joined from ``merchant_id``), over small key domains and a few
hours, so that keys are missing on either side, event times repeat and ttl boundaries
are hit exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)
TIMESTAMP = pa.timestamp("us", tz="UTC")
ROOT = "transactions"
SPINE_KEYS = range(6)  # rows have keys 0..3: 4 and 5 are unknown to every group

Op = tuple[str, Any]  # ("insert", rows) | ("delete_key", key) | ("delete_row", (key, time))
Model = dict[tuple[int, datetime], dict[str, Any]]


@dataclass(frozen=True)
class GroupDef:
    key: str
    features: dict[str, pa.DataType]  # in schema order
    values: dict[str, st.SearchStrategy[Any]]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


GROUPS = {
    "transactions": GroupDef(
        key="cc_num",
        features={"amount": pa.float64(), "merchant_id": pa.int64()},
        values={
            "amount": _maybe(st.integers(-50, 50).map(lambda v: v / 4)),
            "merchant_id": _maybe(st.integers(0, 4)),  # merchant 4 never has rows
        },
    ),
    "profiles": GroupDef(
        key="cc_num",
        features={"age": pa.int64(), "city": pa.string()},
        values={
            "age": _maybe(st.integers(18, 90)),
            "city": _maybe(st.sampled_from(["oslo", "lima", "köln", ""])),
        },
    ),
    "merchants": GroupDef(
        key="id",
        features={"category": pa.string(), "risk": pa.float64()},
        values={
            "category": _maybe(st.sampled_from(["food", "travel", "games"])),
            "risk": _maybe(st.integers(0, 8).map(lambda v: v / 8)),
        },
    ),
}
PREFIX = {"transactions": "", "profiles": "", "merchants": "m_"}

ROW_KEYS = st.integers(0, 3)
ROW_TIMES = st.integers(0, 5).map(lambda h: T0 + h * HOUR)
# Half-hour steps from an hour before the first row time to two hours after the last:
# before any row, equal to row times, between them, after all of them.
SPINE_TIMES = st.integers(-2, 14).map(lambda n: T0 + n * HALF_HOUR)
TTLS = st.sampled_from(
    [None, None, timedelta(0), HALF_HOUR, HOUR, timedelta(hours=2), timedelta(hours=3)]
)


# -- the reference ---------------------------------------------------------------------


def apply_to_model(model: Model, group: str, op: Op) -> None:
    kind, payload = op
    key = GROUPS[group].key
    if kind == "insert":
        for row in payload:  # in order: the last write of a (key, event time) wins
            model[(row[key], row["ts"])] = {f: row[f] for f in GROUPS[group].features}
    elif kind == "delete_key":
        for stored in [kt for kt in model if kt[0] == payload]:
            del model[stored]
    else:
        model.pop(payload, None)


def as_of(model: Model, key: Any, t: datetime, ttl: timedelta | None) -> dict[str, Any] | None:
    """The features of the row with ``key`` and the greatest event time <= ``t``."""
    if key is None:
        return None
    best = None
    for row_key, row_time in model:
        if row_key == key and row_time <= t and (best is None or row_time > best):
            best = row_time
    if best is None:
        return None
    if ttl is not None and t - best > ttl:
        return None  # too old
    return model[(key, best)]


@dataclass(frozen=True)
class Scenario:
    joins: tuple[str, ...]  # groups joined after transactions, in order
    selections: dict[str, tuple[str, ...] | None]  # None: select_all()
    prefixes: dict[str, str]
    ttls: dict[str, timedelta | None]
    histories: dict[str, list[Op]]

    @property
    def groups(self) -> list[str]:
        return [ROOT, *self.joins]

    def selected(self, group: str) -> list[str]:
        chosen = self.selections[group]
        return list(GROUPS[group].features) if chosen is None else list(chosen)

    @property
    def features(self) -> list[str]:
        """The view's features, in order: each group's selection, with its prefix."""
        return [self.prefixes[g] + f for g in self.groups for f in self.selected(g)]


def reference_rows(
    scenario: Scenario, models: dict[str, Model], spine: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """For every spine row, in order: its keys and time, the features, then the spine's
    other columns."""
    out = []
    for spine_row in spine:
        k, t = spine_row["cc_num"], spine_row["ts"]
        row: dict[str, Any] = {"cc_num": k, "ts": t}
        transaction = as_of(models[ROOT], k, t, scenario.ttls[ROOT])
        for group in scenario.groups:
            if group == "merchants":
                key = None if transaction is None else transaction["merchant_id"]
            else:
                key = k
            found = as_of(models[group], key, t, scenario.ttls[group])
            for feature in scenario.selected(group):
                row[scenario.prefixes[group] + feature] = None if found is None else found[feature]
        row.update({c: v for c, v in spine_row.items() if c not in ("cc_num", "ts")})
        out.append(row)
    return out


# -- strategies --------------------------------------------------------------------------


def rows_of(group: str, key: Any = None, time: Any = None) -> st.SearchStrategy[dict[str, Any]]:
    definition = GROUPS[group]
    return st.fixed_dictionaries(
        {
            definition.key: ROW_KEYS if key is None else st.just(key),
            "ts": ROW_TIMES if time is None else st.just(time),
            **definition.values,
        }
    )


@st.composite
def histories(draw: st.DrawFn, group: str, deletes: bool, min_batches: int = 1) -> list[Op]:
    """Insert batches, then a batch of late corrections of (key, event time)s written
    before, and (with ``deletes``) deletes of keys or single rows anywhere in between."""
    batches = draw(
        st.lists(st.lists(rows_of(group), min_size=1, max_size=6), min_size=min_batches, max_size=2)
    )
    ops: list[Op] = [("insert", batch) for batch in batches]
    written = sorted({(row[GROUPS[group].key], row["ts"]) for batch in batches for row in batch})
    if written:
        corrections = draw(
            st.lists(st.sampled_from(written).flatmap(lambda kt: rows_of(group, *kt)), max_size=3)
        )
        if corrections:
            ops.append(("insert", corrections))
        if deletes:
            for _ in range(draw(st.integers(0, 2))):
                key, time = draw(st.sampled_from(written))
                op: Op = draw(st.sampled_from([("delete_key", key), ("delete_row", (key, time))]))
                ops.insert(draw(st.integers(0, len(ops))), op)
    return ops


@st.composite
def scenarios(draw: st.DrawFn, ttl: bool = True, deletes: bool = False) -> Scenario:
    joins = draw(
        st.sampled_from(
            [("profiles",), ("merchants",), ("profiles", "merchants"), ("merchants", "profiles")]
        )
    )
    selections: dict[str, tuple[str, ...] | None] = {
        # ("amount",) leaves merchant_id out: merchants then join on a hidden column
        ROOT: draw(st.sampled_from([None, ("amount",), ("merchant_id", "amount")])),
        "profiles": draw(st.sampled_from([None, ("city",), ("city", "age")])),
        "merchants": draw(st.sampled_from([None, ("risk",)])),
    }
    prefixes = {**PREFIX, "profiles": draw(st.sampled_from(["", "p_"]))}
    ttls = {g: draw(TTLS) if ttl else None for g in GROUPS}
    stories = {g: draw(histories(g, deletes, min_batches=1 if g == ROOT else 0)) for g in GROUPS}
    return Scenario(joins, selections, prefixes, ttls, stories)


@st.composite
def spines(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Spine rows (keys known and unknown, any times), some of them repeated."""
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "cc_num": st.sampled_from(SPINE_KEYS),
                    "ts": SPINE_TIMES,
                    "is_fraud": st.booleans(),
                }
            ),
            min_size=1,
            max_size=12,
        )
    )
    repeated = draw(st.lists(st.integers(0, len(rows) - 1), max_size=3))
    rows += [rows[i] for i in repeated]
    order = draw(st.permutations(range(len(rows))))
    # "note": a spine column that is neither key, time nor label: kept in the output
    return [{**rows[i], "note": f"row {i}"} for i in order]


def assert_same_rows(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(got) == len(expected), f"{len(got)} rows, expected {len(expected)}"
    for i, (row, want) in enumerate(zip(got, expected, strict=True)):
        assert list(row) == list(want), f"row {i}: columns {list(row)}, expected {list(want)}"
        assert row == want, f"row {i}: {row}\n  expected {want}"


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
