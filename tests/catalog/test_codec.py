"""The record codec: every catalog record kind survives a JSON round trip on random values,
and entries written before the codec existed (``records_before_the_codec.json``, made by the
hand-written encoders it replaced) decode to the same records and encode back byte for byte."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featurehouse.catalog.base import Entry
from featurehouse.catalog.codec import Record
from featurehouse.catalog.records import FeatureGroupSpec
from featurehouse.core.training_dataset import TrainingDataset
from featurehouse.errors import DataError
from featurehouse.models.deployments import Deployment, Served
from featurehouse.models.registry import ModelVersion
from featurehouse.monitoring.alerts import Alert
from featurehouse.monitoring.monitors import Breach, Monitor, MonitorRun
from featurehouse.repo.state import ManagedObjects
from featurehouse.validation import expect
from featurehouse.validation.report import ExpectationResult, ValidationReport
from featurehouse.validation.suite import ExpectationSuite

PINNED = json.loads((Path(__file__).parent / "records_before_the_codec.json").read_text())
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = pa.schema(
    [("user_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")), ("amount", pa.float64())]
)
STORE = Path("/srv/models")


@dataclass(frozen=True)
class Kind:
    """A record class, what its entry supplies (field names of its entry's name, version and
    time), and the values decoding is given."""

    cls: type[Record]
    entry_fields: tuple[str | None, str | None, str | None] = (None, None, None)
    context: tuple[tuple[str, Any], ...] = ()


KINDS = {
    "feature_group": Kind(FeatureGroupSpec, ("name", "version", None)),
    "validation_report": Kind(ValidationReport),
    "expectation_suite": Kind(ExpectationSuite, (None, "version", "created_at")),
    "training_dataset": Kind(
        TrainingDataset, (None, "version", "created_at"), (("services", None),)
    ),
    "model": Kind(
        ModelVersion,
        ("name", "version", "created_at"),
        (("aliases", ("production",)), ("model_store", STORE)),
    ),
    "deployment": Kind(Deployment, ("name", "revision", "changed_at")),
    "monitor": Kind(Monitor, ("name", "version", None)),
    "monitor_run": Kind(MonitorRun),
    "alert": Kind(Alert),
    "repo_state": Kind(ManagedObjects),
}


def pinned_entry(kind: str) -> Entry:
    stored = PINNED[kind]
    created = datetime.fromisoformat(stored["created_at"])
    return Entry(kind, stored["name"], stored["version"], 1, stored["body"], created, created)


def expected_record(kind: str) -> Record:
    """What the code before the codec decoded each pinned entry to."""
    created = datetime.fromisoformat(PINNED[kind]["created_at"])
    at = datetime(2026, 12, 6, 3, 7, 56, 87709, tzinfo=UTC)
    window = (T0, T0 + timedelta(days=1))
    breach = Breach("watch", "amount", "psi", 0.0, -1.0)
    report = Path("/tmp/oldgen/proj/monitoring/watch/run-1.html")
    records: dict[str, Record] = {
        "feature_group": FeatureGroupSpec(
            name="users",
            version=1,
            primary_key=("user_id",),
            event_time="ts",
            online=True,
            description="people",
            tags={"team": "risk"},
            ttl=timedelta(days=2, seconds=30),
            owner="ana",
            schema=SCHEMA,
            online_version=1,
        ),
        "validation_report": ValidationReport(
            feature_group="users:1",
            number=1,
            time=datetime(2026, 12, 6, 3, 7, 53, 887957, tzinfo=UTC),
            suite_version=1,
            on_invalid="quarantine",
            rows_checked=3,
            rows_failed=1,
            rows_quarantined=1,
            commit_version=1,
            results=[
                ExpectationResult(
                    name="between(amount)",
                    kind="between",
                    column="amount",
                    success=False,
                    row_level=True,
                    checked_rows=3,
                    failed_rows=1,
                    observed=None,
                    unexpected=[500.0],
                )
            ],
        ),
        "expectation_suite": ExpectationSuite(
            version=1,
            expectations=[expect.between("amount", 0, 100)],
            on_invalid="quarantine",
            created_at=created,
        ),
        "training_dataset": TrainingDataset(
            services=None,
            feature_view="user_view",
            feature_view_version=1,
            version=1,
            rows={"train": 2},
            group_versions={"users:1": 1},
            statistics={},
            description="first",
            created_at=created,
            split_definition=None,
            seed=0,
        ),
        "model": ModelVersion(
            name="scorer",
            version=1,
            flavor="python_function",
            metrics={"auc": 0.5},
            params={"depth": 3},
            description="",
            tags={"k": "v"},
            lineage={
                "feature_group_versions": {"users:1": 1},
                "feature_groups": ["users:1"],
                "feature_view": {"name": "user_view", "version": 1},
                "training_dataset": 1,
            },
            input_schema=[{"name": "amount", "type": "double"}],
            input_example=[
                {"amount": 5.0, "ts": "2026-01-01 00:00:00+00:00", "user_id": 1},
                {"amount": 7.5, "ts": "2026-01-01 01:00:00+00:00", "user_id": 3},
            ],
            created_at=created,
            aliases=("production",),
            stored_artifact=Path("scorer/73f9b01c44644c43b9487b50e3c341db/model.pkl"),
            checksum="4b5c476e558e72367d00b3449589c68402a81a3c2d02814afb292ddc937664c1",
            model_store=STORE,
        ),
        "deployment": Deployment(
            name="fraud",
            revision=1,
            models=(Served("scorer", 1, 1.0),),
            feature_view=("user_view", 1),
            changed_by="root",
            changed_at=created,
            note="first",
            missing_entities="predict",
        ),
        "monitor": Monitor(
            name="watch",
            version=1,
            feature_view=("user_view", 1),
            reference=1,
            split="train",
            features=("amount",),
            thresholds={"psi": -1.0},
            deployment=None,
            webhook=None,
        ),
        "monitor_run": MonitorRun(
            monitor="watch",
            run=1,
            started_at=at,
            start=window[0],
            end=window[1],
            rows=2,
            drift={"amount": {"ks": 0.0, "ks_pvalue": 1.0, "psi": 0.0}},
            breaches=[breach],
            report_path=report,
            webhook="not configured",
            outcomes={},
        ),
        "alert": Alert(
            monitor="watch",
            run=1,
            at=at,
            window=window,
            breaches=(breach,),
            report_path=report,
            webhook="not configured",
        ),
        "repo_state": ManagedObjects((("deployment", "fraud", 0), ("feature_group", "users", 1))),
    }
    return records[kind]


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True)  # as the catalog stores a body


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_entry_written_before_the_codec_decodes_to_the_same_record(kind: str) -> None:
    entry = pinned_entry(kind)
    record = KINDS[kind].cls.from_entry(entry, **dict(KINDS[kind].context))
    assert record == expected_record(kind)
    assert canonical(record.to_json()) == canonical(entry.body)


def test_every_record_kind_is_pinned_and_tested() -> None:
    assert set(PINNED) == set(KINDS)


def test_a_model_versions_artifact_is_under_its_model_store() -> None:
    record = expected_record("model")
    assert isinstance(record, ModelVersion)
    assert record.artifact == STORE / "scorer/73f9b01c44644c43b9487b50e3c341db/model.pkl"


def test_keys_no_field_reads_are_ignored_and_missing_ones_take_their_default() -> None:
    entry = pinned_entry("deployment")
    older = {k: v for k, v in entry.body.items() if k not in ("note", "missing_entities")}
    decoded = Deployment.from_entry(
        Entry(entry.kind, entry.name, 1, 1, {**older, "later": 1}, T0, T0)
    )
    assert (decoded.note, decoded.missing_entities) == ("", "predict")


def test_a_body_without_a_required_key_names_the_record_and_the_key() -> None:
    entry = pinned_entry("monitor")
    body = {k: v for k, v in entry.body.items() if k != "split"}
    with pytest.raises(DataError, match="catalog record Monitor: the body has no 'split'") as err:
        Monitor.from_entry(Entry(entry.kind, entry.name, 1, 1, body, T0, T0))
    assert err.value.column == "split"


# -- round trips on random values -------------------------------------------------------------

names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
texts = st.text(max_size=8)
ints = st.integers(-(2**53), 2**53)
counts = st.integers(0, 2**31)
floats = st.floats(allow_nan=False, allow_infinity=False)
times = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
json_values = st.recursive(
    st.none() | st.booleans() | ints | floats | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(texts, json_values, max_size=3)
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: Path(*parts))
breaches = st.builds(Breach, names, names, names, floats, floats)
schemas = st.sampled_from(
    [SCHEMA, pa.schema([("id", pa.string()), ("ts", pa.timestamp("us", tz="UTC"))])]
)
expectations = st.sampled_from(
    [expect.between("amount", 0, 100), expect.not_null("user_id"), expect.in_set("c", ["a"])]
)

RANDOM: dict[str, st.SearchStrategy[Any]] = {
    "feature_group": st.builds(
        FeatureGroupSpec,
        name=names,
        version=counts,
        primary_key=st.lists(names, min_size=1, max_size=3).map(tuple),
        event_time=names,
        online=st.booleans(),
        description=texts,
        tags=st.dictionaries(texts, texts, max_size=3),
        ttl=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)),
        owner=st.none() | texts,
        schema=st.none() | schemas,
        online_version=st.integers(-1, 2**40),
    ),
    "validation_report": st.builds(
        ValidationReport,
        feature_group=names,
        number=counts,
        time=times,
        suite_version=counts,
        on_invalid=st.sampled_from(["raise", "quarantine"]),
        rows_checked=counts,
        rows_failed=counts,
        rows_quarantined=counts,
        commit_version=st.none() | counts,
        results=st.lists(
            st.builds(
                ExpectationResult,
                name=names,
                kind=names,
                column=st.none() | names,
                success=st.booleans(),
                row_level=st.booleans(),
                checked_rows=counts,
                failed_rows=counts,
                observed=json_values,
                unexpected=st.lists(json_values, max_size=3),
            ),
            max_size=3,
        ),
    ),
    "expectation_suite": st.builds(
        ExpectationSuite,
        version=counts,
        expectations=st.lists(expectations, max_size=3),
        on_invalid=st.sampled_from(["raise", "quarantine"]),
        created_at=times,
    ),
    "training_dataset": st.builds(
        TrainingDataset,
        services=st.none(),
        feature_view=names,
        feature_view_version=counts,
        version=counts,
        rows=st.dictionaries(names, counts, max_size=3),
        group_versions=st.dictionaries(names, counts, max_size=3),
        statistics=json_objects,
        description=texts,
        created_at=times,
        split_definition=st.none() | json_objects,
        seed=counts,
    ),
    "model": st.builds(
        ModelVersion,
        name=names,
        version=counts,
        flavor=names,
        metrics=st.dictionaries(texts, floats, max_size=3),
        params=json_objects,
        description=texts,
        tags=st.dictionaries(texts, texts, max_size=3),
        lineage=json_objects,
        input_schema=st.lists(st.dictionaries(texts, texts, max_size=2), max_size=3),
        input_example=st.lists(json_objects, max_size=3),
        created_at=times,
        aliases=st.just(("production",)),
        stored_artifact=paths,
        checksum=texts,
        model_store=st.just(STORE),
    ),
    "deployment": st.builds(
        Deployment,
        name=names,
        revision=counts,
        models=st.lists(st.builds(Served, names, counts, floats), max_size=3).map(tuple),
        feature_view=st.tuples(names, counts),
        changed_by=texts,
        changed_at=times,
        note=texts,
        missing_entities=st.sampled_from(["predict", "refuse"]),
    ),
    "monitor": st.builds(
        Monitor,
        name=names,
        version=counts,
        feature_view=st.tuples(names, counts),
        reference=counts,
        split=names,
        features=st.lists(names, max_size=3).map(tuple),
        thresholds=st.dictionaries(names, floats, max_size=3),
        deployment=st.none() | names,
        webhook=st.none() | texts,
    ),
    "monitor_run": st.builds(
        MonitorRun,
        monitor=names,
        run=counts,
        started_at=times,
        start=st.none() | times,
        end=st.none() | times,
        rows=counts,
        drift=st.dictionaries(names, st.dictionaries(names, floats, max_size=3), max_size=3),
        breaches=st.lists(breaches, max_size=3),
        report_path=paths,
        webhook=texts,
        outcomes=st.dictionaries(names, floats, max_size=3),
    ),
    "alert": st.builds(
        Alert,
        monitor=names,
        run=counts,
        at=times,
        window=st.tuples(st.none() | times, st.none() | times),
        breaches=st.lists(breaches, max_size=3).map(tuple),
        report_path=paths,
        webhook=texts,
    ),
    "repo_state": st.builds(
        ManagedObjects, st.lists(st.tuples(names, names, counts), max_size=4).map(tuple)
    ),
}


def entry_of(kind: str, record: Record, body: dict[str, Any]) -> Entry:
    """The entry a record is stored in: its name, version and time where it has them."""
    name, version, created = (
        None if f is None else getattr(record, f) for f in KINDS[kind].entry_fields
    )
    return Entry(kind, name or "x", version or 0, 1, body, created or T0, created or T0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_record_kind_survives_a_json_round_trip(kind: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(RANDOM[kind])
    def round_trip(record: Record) -> None:
        body = json.loads(json.dumps(record.to_json(), allow_nan=False))
        again = type(record).from_entry(entry_of(kind, record, body), **dict(KINDS[kind].context))
        assert again == record
        assert canonical(again.to_json()) == canonical(body)

    round_trip()
