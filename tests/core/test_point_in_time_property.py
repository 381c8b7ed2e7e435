"""Point-in-time joins of feature views against an obviously-right reference (see
tests/point_in_time.py), through the feature store: writes, deletes and corrections, views
over several groups, training data with and without a spine, online vectors and training
datasets."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

import featurehouse as fh
from tests.point_in_time import (
    GROUPS,
    HOUR,
    PREFIX,
    ROOT,
    SETTINGS,
    SPINE_KEYS,
    SPINE_TIMES,
    T0,
    TIMESTAMP,
    Model,
    Op,
    Scenario,
    apply_to_model,
    assert_same_rows,
    histories,
    reference_rows,
    scenarios,
    spines,
)

# -- featurehouse side ---------------------------------------------------------------


def create_groups(fs: fh.FeatureStore, scenario: Scenario) -> dict[str, fh.FeatureGroup]:
    groups = {}
    for name in scenario.groups:
        definition = GROUPS[name]
        schema = pa.schema(
            [(definition.key, pa.int64()), ("ts", TIMESTAMP), *definition.features.items()]
        )
        groups[name] = fs.create_feature_group(
            name,
            primary_key=[definition.key],
            event_time="ts",
            online=True,
            ttl=scenario.ttls[name],
            schema=schema,
        )
    return groups


def apply_ops(
    groups: dict[str, fh.FeatureGroup],
    models: dict[str, Model],
    stories: dict[str, list[Op]],
) -> None:
    for name, fg in groups.items():
        key = GROUPS[name].key
        for op in stories[name]:
            kind, payload = op
            if kind == "insert":
                fg.insert(payload)
            elif kind == "delete_key":
                fg.delete({key: payload})
            else:
                fg.delete({key: payload[0], "ts": payload[1]})
            apply_to_model(models.setdefault(name, {}), name, op)


def create_view(
    fs: fh.FeatureStore,
    groups: dict[str, fh.FeatureGroup],
    scenario: Scenario,
    name: str = "fraud",
    labels: list[str] | None = None,
) -> fh.FeatureView:
    def select(group: str) -> fh.Query:
        chosen = scenario.selections[group]
        return groups[group].select_all() if chosen is None else groups[group].select(chosen)

    query = select(ROOT)
    for group in scenario.joins:
        if group == "profiles":
            prefix = scenario.prefixes[group] or None
            query = query.join(select(group), on="cc_num", prefix=prefix)
        else:
            query = query.join(
                select(group), left_on="merchant_id", right_on="id", prefix=PREFIX[group]
            )
    return fs.create_feature_view(
        name, query=query, labels=["is_fraud"] if labels is None else labels
    )


def build(
    fs: fh.FeatureStore, scenario: Scenario
) -> tuple[dict[str, fh.FeatureGroup], dict[str, Model]]:
    groups = create_groups(fs, scenario)
    models: dict[str, Model] = {g: {} for g in scenario.groups}
    apply_ops(groups, models, {g: scenario.histories[g] for g in scenario.groups})
    return groups, models


# -- the properties ------------------------------------------------------------------


@SETTINGS
@given(scenario=scenarios(deletes=True), spine=spines())
def test_training_data_matches_the_reference(
    scenario: Scenario, spine: list[dict[str, Any]]
) -> None:
    """Every spine row, in spine order (repeats and unknown keys included), with the
    reference's point-in-time features; labels and other spine columns kept."""
    with tempfile.TemporaryDirectory() as tmp, fh.connect(tmp) as fs:
        groups, models = build(fs, scenario)
        fv = create_view(fs, groups, scenario)
        assert fv.features == scenario.features
        got = fv.training_data(spine=spine).to_arrow().to_pylist()
        assert_same_rows(got, reference_rows(scenario, models, spine))


@SETTINGS
@given(
    scenario=scenarios(deletes=True),
    start=st.none() | SPINE_TIMES,
    end=st.none() | SPINE_TIMES,
    amount_is_label=st.booleans(),
)
def test_training_data_without_spine_uses_the_first_group_as_spine(
    scenario: Scenario, start: datetime | None, end: datetime | None, amount_is_label: bool
) -> None:
    """Without a spine, the first group's rows in [start, end) are the spine."""
    with tempfile.TemporaryDirectory() as tmp, fh.connect(tmp) as fs:
        groups, models = build(fs, scenario)
        label = amount_is_label and "amount" in scenario.selected(ROOT)
        fv = create_view(fs, groups, scenario, labels=["amount"] if label else [])
        got = fv.training_data(start=start, end=end).to_arrow().to_pylist()
        spine = [
            {"cc_num": k, "ts": t}
            for k, t in sorted(models[ROOT])
            if (start is None or start <= t) and (end is None or t < end)
        ]
        expected = reference_rows(scenario, models, spine)
        if label:  # a label that is a feature moves after the features
            expected = [
                {**{c: v for c, v in r.items() if c != "amount"}, "amount": r["amount"]}
                for r in expected
            ]
        # Without a spine the row order is the scan's: compare in (key, event time) order.
        got.sort(key=lambda r: (r["cc_num"], r["ts"]))
        assert_same_rows(got, expected)


@SETTINGS
@given(
    scenario=scenarios(ttl=False, deletes=True),
    entities=st.lists(st.sampled_from(SPINE_KEYS), min_size=1, max_size=8),
)
def test_online_vectors_equal_offline_training_data_as_of_now(
    scenario: Scenario, entities: list[int]
) -> None:
    """No skew: online vectors are the training data of a spine at "now" (after every
    event). Groups have no ttl here: online, ttl counts from the wall clock."""
    with tempfile.TemporaryDirectory() as tmp, fh.connect(tmp) as fs:
        groups, models = build(fs, scenario)
        fv = create_view(fs, groups, scenario, labels=[])
        now = T0 + 1000 * HOUR  # after every event
        online = fv.get_feature_vectors([{"cc_num": k} for k in entities]).to_arrow()
        assert online.column_names == ["cc_num", *scenario.features]
        spine = [{"cc_num": k, "ts": now} for k in entities]
        offline = fv.training_data(spine=spine).to_arrow().drop_columns(["ts"])
        assert_same_rows(online.to_pylist(), offline.to_pylist())
        expected = [
            {c: v for c, v in r.items() if c != "ts"}
            for r in reference_rows(scenario, models, spine)
        ]
        assert_same_rows(online.to_pylist(), expected)
        for k, row in zip(entities, online.to_pylist(), strict=True):
            vector = fv.get_feature_vector({"cc_num": k})
            assert list(vector) == fv.features
            assert vector == {f: row[f] for f in fv.features}


@SETTINGS
@given(
    scenario=scenarios(deletes=True),
    spine=spines(),
    later=st.fixed_dictionaries({g: histories(g, deletes=True) for g in GROUPS}),
)
def test_training_dataset_reads_the_same_rows_after_later_writes(
    scenario: Scenario, spine: list[dict[str, Any]], later: dict[str, list[Op]]
) -> None:
    """A training dataset is immutable: inserts, corrections and deletes made after it
    was created do not change what it reads."""
    with tempfile.TemporaryDirectory() as tmp, fh.connect(tmp) as fs:
        groups, models = build(fs, scenario)
        fv = create_view(fs, groups, scenario)
        td = fv.create_training_dataset(spine=spine)
        first = td.read().to_arrow()
        assert_same_rows(first.to_pylist(), reference_rows(scenario, models, spine))

        apply_ops(groups, models, {g: later[g] for g in scenario.groups})
        again = fv.get_training_dataset(td.version).read().to_arrow()
        assert again.schema == first.schema
        assert_same_rows(again.to_pylist(), first.to_pylist())
        # while the view itself sees the new data
        now = fv.training_data(spine=spine).to_arrow().to_pylist()
        assert_same_rows(now, reference_rows(scenario, models, spine))
