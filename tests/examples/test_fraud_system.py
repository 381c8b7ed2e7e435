"""The fraud system end to end, as ``featurehouse demo --small`` runs it: every feature
group filled, a model registered with a real test AUC and deployed, live transactions
scored over HTTP by ``featurehouse serve`` and logged, their outcomes logged, and the
features served online equal to those the training path computes for the same
transactions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import featurehouse as fh
from featurehouse.examples.common import read_table, source_dir
from featurehouse.examples.fraud.data import SMALL
from featurehouse.examples.fraud.inference_pipeline import arrivals, reference_dataset
from featurehouse.examples.fraud.monitoring_step import MONITOR, monitoring_step
from featurehouse.examples.fraud.training_pipeline import REQUEST, transactions


@pytest.fixture(scope="module")
def project(fraud_demo: tuple[Path, str]) -> Path:
    return fraud_demo[0]


def test_feature_groups_hold_the_source(project: Path) -> None:
    history = transactions(project)
    with fh.connect(project) as fs:
        rows = {g.name: g.read().to_arrow().num_rows for g in fs.list_feature_groups()}
        card = fs.get_feature_group("card_profiles").get_online({"cc_num": 1})
    live = transactions(project, live=True).num_rows
    assert rows["card_profiles"] == SMALL.cards and rows["merchants"] == SMALL.merchants
    assert rows["card_activity"] == history.num_rows + live  # history, then live arrivals
    assert card is not None and -90 <= card["home_lat"] <= 90


def test_a_model_is_registered_with_a_real_auc_and_deployed(project: Path) -> None:
    with fh.connect(project) as fs:
        model = fs.models.get("fraud_xgb", alias="production")
        deployment = fs.deployments.get("fraud")
        reference = reference_dataset(fs)
    assert model.flavor == "xgboost"
    assert model.metrics["auc"] > 0.85  # far above chance (0.5): fraud patterns are learned
    assert (deployment.models[0].model, deployment.models[0].version) == ("fraud_xgb", 1)
    assert reference.version == model.lineage["training_dataset"]
    assert set(reference.rows) == {"train", "test"}


def live_source(project: Path) -> list[dict[str, Any]]:
    """The live transactions as the source system holds them (amounts included)."""
    source = read_table(source_dir(project, "fraud"), "transactions").to_pylist()
    return [t for t in source if t["ts"] >= SMALL.live_start]


def test_live_transactions_were_served_logged_and_their_outcomes_logged(project: Path) -> None:
    live = live_source(project)
    with fh.connect(project) as fs:
        logged = fs.get_feature_group("fraud_predictions").read().to_arrow().to_pylist()
        outcomes = fs.get_feature_group("fraud_outcomes").read().to_arrow().to_pylist()
    assert len(logged) == len(live) > 0
    assert {o["request_id"] for o in outcomes} == {p["request_id"] for p in logged}
    # match each logged prediction to its transaction by card and amount
    by_key = {(t["cc_num"], t["amount"]): t for t in live}
    scores: dict[int, list[float]] = {0: [], 1: []}
    outcome = {o["request_id"]: o["outcome"] for o in outcomes}
    for p in logged:
        features = json.loads(p["features"])
        tx = by_key[(json.loads(p["entity"])["cc_num"], features["amount"])]
        assert outcome[p["request_id"]] == tx["is_fraud"]
        scores[tx["is_fraud"]].append(p["prediction"])
    assert scores[1], "the live window holds a fraud burst"
    assert min(scores[1]) > sorted(scores[0])[len(scores[0]) // 2]  # above the median honest


def test_online_features_equal_the_training_path(project: Path) -> None:
    live = transactions(project, live=True)
    # each transaction was scored right after its features were written: as of its
    # time, the training path reads the same rows
    spine = live.drop_columns(["tx_id"])
    with fh.connect(project) as fs:
        view = fs.get_feature_view("fraud")
        offline = view.training_data(spine=spine).to_arrow().to_pylist()
        logged = fs.get_feature_group("fraud_predictions").read().to_arrow().to_pylist()
    served: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in logged:
        features = json.loads(p["features"])
        served[(json.loads(p["entity"])["cc_num"], features["amount"])] = features
    assert len(arrivals(live)) > 1  # some cards came back within the hour
    for row in offline:
        online = served[(row["cc_num"], row["amount"])]
        for name in view.features:
            if isinstance(row[name], float):
                assert online[name] == pytest.approx(row[name], rel=1e-9), name
            else:
                assert online[name] == row[name], name
    assert all(name in offline[0] for name in REQUEST)


def test_the_monitoring_step_watches_the_deployment_against_its_training_data(
    project: Path,
) -> None:
    with fh.connect(project) as fs:
        logged = fs.get_feature_group("fraud_predictions").read().to_arrow().num_rows
        outcomes = fs.get_feature_group("fraud_outcomes").read().to_arrow().num_rows
        runs_before = len(fs.monitoring.runs(MONITOR))
        monitored = monitoring_step(fs, "fraud", reference_dataset(fs))
        assert [m.version for m in fs.monitoring.list()] == [1]  # the same reference: reused
        assert len(fs.monitoring.runs(MONITOR)) == runs_before + 1
        features = fs.monitoring.get(MONITOR).features
    assert monitored.rows == logged > 0
    assert monitored.outcomes["count"] == outcomes == logged
    assert monitored.outcomes["roc_auc"] > 0.8  # the model separates live fraud too
    html = Path(monitored.report).read_text()
    assert all(feature in html for feature in features)


def test_skew_recomputes_with_the_logged_request_and_finds_only_later_activity(
    project: Path,
) -> None:
    """The log's time is the wall clock, after every live transaction was written: offline,
    a card's activity then includes its later live transactions, which the served vector
    could not. Exactly the predictions of cards that transacted again differ, and only in
    activity features; profiles and distance from home (from the logged request) agree."""
    cards = transactions(project, live=True)["cc_num"].to_pylist()
    again = sum(1 for i, card in enumerate(cards) if card in cards[i + 1 :])
    with fh.connect(project) as fs:
        logged = fs.get_feature_group("fraud_predictions").read().to_arrow()
        assert all(json.loads(r).keys() == set(REQUEST) for r in logged["request"].to_pylist())
        report = fs.monitoring.skew("fraud", sample=logged.num_rows).to_pylist()
    differing = {r["feature"]: r["differing"] for r in report}
    assert again > 0 and differing["tx_count_1d"] == again
    assert set(differing) <= {
        "merchant_id", "amount", "prev_unix", "category", "seconds_since_last",
        *(f"{kind}_{w}" for w in ("10m", "1h", "1d") for kind in ("tx_count", "amount_sum")),
    }  # fmt: skip


def test_the_demo_says_where_to_look(fraud_demo: tuple[Path, str]) -> None:
    project, output = fraud_demo
    for text in (
        "test AUC",
        "live transactions scored",
        "fraud_predictions",
        "catalog.db",
        f"featurehouse serve --project {project}",
        "curl -X POST localhost:8000/v1/deployments/fraud/predict",
        "5/5 monitoring",
        "live ROC AUC",
        "featurehouse monitor report",
        "done in",
    ):
        assert text in output, text
