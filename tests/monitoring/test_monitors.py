"""Monitors flag exactly the features whose distribution was shifted, and none without a
shift (fixed seeds); runs are recorded, alerts written, the webhook called and reports
written."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

import featurehouse as fh
from featurehouse.errors import DataError, SchemaError

from .conftest import T0, log_predictions

THRESHOLDS = {"psi": 0.2, "ks_pvalue": 0.01, "chi2_pvalue": 0.01}
DAY1, DAY2 = T0 + timedelta(days=1), T0 + timedelta(days=2)


def flagged(run: Any) -> set[str]:
    return {b.feature for b in run.breaches}


def test_no_drift_flags_nothing_and_drift_flags_exactly_the_shifted_features(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    fs.monitoring.create("early", deployment="fraud", reference=monitored["td"])
    (empty,) = fs.monitoring.run()  # nothing logged yet: an empty run, not an error
    assert (empty.rows, empty.drift, empty.breaches) == (0, {}, [])
    assert "no data in the window" in empty.report_path.read_text()
    log_predictions(fs, 1_500, seed=1, at=DAY1)
    log_predictions(fs, 1_500, seed=2, at=DAY2, drift=frozenset({"amount", "country"}))
    mon = fs.monitoring.create(
        "fraud_inputs", deployment="fraud", reference=monitored["td"], thresholds=THRESHOLDS
    )
    assert mon.features == ("amount", "age", "score", "country", "device")
    (calm,) = fs.monitoring.run(DAY1, DAY1 + timedelta(hours=1), name="fraud_inputs")
    assert calm.rows == 1_500 and calm.breaches == []
    assert set(calm.drift) == {"amount", "age", "score", "country", "device", "prediction"}
    assert set(calm.drift["country"]) == {"psi", "chi2", "chi2_pvalue", "js"}
    assert set(calm.drift["amount"]) == {"psi", "ks", "ks_pvalue"}
    (drifted,) = fs.monitoring.run(start=DAY2, end=DAY2 + timedelta(hours=1), name="fraud_inputs")
    # the model sums the numeric features, so a shifted amount shifts its predictions too
    assert flagged(drifted) == {"amount", "country", "prediction"}
    assert {b.metric for b in drifted.breaches if b.feature == "amount"} == {"psi", "ks_pvalue"}
    breach = next(b for b in drifted.breaches if (b.feature, b.metric) == ("amount", "psi"))
    assert breach.monitor == "fraud_inputs" and breach.threshold == 0.2 and breach.value > 0.2
    assert [r.run for r in fs.monitoring.runs("fraud_inputs")] == [1, 2]
    alerts = fs.monitoring.alerts("fraud_inputs")
    assert [a["run"] for a in alerts] == [2] and alerts[0]["webhook"] == "not configured"
    html = drifted.report_path.read_text()
    assert drifted.report_path.parent.parent == fs.settings.home / "monitoring"
    assert html.count("<svg") == 7  # six distributions and the PSI over runs
    assert 'class="breach"' in html and "country" in html
    assert fs.monitoring.latest_report() == drifted.report_path


def test_a_monitor_of_some_features_watches_only_those(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    log_predictions(fs, 1_000, seed=3, at=DAY2, drift=frozenset({"amount", "country"}))
    fs.monitoring.create(
        "countries",
        deployment="fraud",
        reference=monitored["td"],
        split="test",
        features=["country", "device"],
        thresholds={"js": 0.05},
    )
    (run,) = fs.monitoring.run()
    assert flagged(run) == {"country"} and set(run.drift) == {"country", "device", "prediction"}


def test_new_feature_data_monitored_without_a_deployment(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    import numpy as np
    import pyarrow as pa

    from .conftest import draw

    rng = np.random.default_rng(5)
    for day, drift in ((DAY1, frozenset()), (DAY2, frozenset({"amount"}))):
        monitored["group"].insert(
            pa.table(
                {
                    "user_id": np.arange(1_000),
                    "ts": pa.array([day] * 1_000, pa.timestamp("us", tz="UTC")),
                    **draw(rng, 1_000, drift),
                }
            )
        )
    fs.monitoring.create("user_data", reference=monitored["td"], thresholds=THRESHOLDS)
    (calm,) = fs.monitoring.run(start=DAY1, end=DAY1 + timedelta(hours=1))
    assert calm.rows == 1_000 and calm.breaches == [] and "prediction" not in calm.drift
    (drifted,) = fs.monitoring.run(start=DAY2, end=DAY2 + timedelta(hours=1))
    assert flagged(drifted) == {"amount"}


def test_outcome_thresholds_alert_when_the_model_gets_worse(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    """Day 1's outcomes agree with the scores, day 2's are the scores' opposite: only the
    second window breaches ``roc_auc >= 0.8``; drift is not watched (no drift threshold)."""
    fs.monitoring.create(
        "quality", deployment="fraud", reference=monitored["td"], thresholds={"roc_auc": 0.8}
    )
    (before,) = fs.monitoring.run(name="quality")  # no outcome yet: nothing to judge
    assert before.outcomes == {} and before.breaches == []
    for day, agree in ((DAY1, True), (DAY2, False)):
        log_predictions(fs, 400, seed=day.day, at=day, probability=True)
        window = fs.predictions_with_outcomes("fraud", day, day + timedelta(days=1))
        outcomes = [
            {"request_id": r["request_id"], "outcome": float((r["prediction"] >= 0.5) == agree)}
            for r in window.to_arrow().to_pylist()
        ]
        fs.log_outcomes("fraud", outcomes)
    (good,) = fs.monitoring.run(DAY1, DAY1 + timedelta(days=1), name="quality")
    (bad,) = fs.monitoring.run(DAY2, DAY2 + timedelta(days=1), name="quality")
    assert good.outcomes["count"] == bad.outcomes["count"] == 400
    assert good.outcomes["roc_auc"] == 1.0 and good.breaches == []
    assert bad.outcomes["roc_auc"] == 0.0
    assert [(b.feature, b.metric, b.value) for b in bad.breaches] == [("outcomes", "roc_auc", 0.0)]
    assert [a["run"] for a in fs.monitoring.alerts("quality")] == [bad.run]
    assert fs.monitoring.runs("quality")[-1].outcomes == bad.outcomes  # kept in the catalog
    assert "roc_auc" in bad.report_path.read_text()


def test_bad_monitors_are_refused(fs: fh.FeatureStore, monitored: dict[str, Any]) -> None:
    td = monitored["td"]
    with pytest.raises(DataError) as info:
        fs.monitoring.create("m", deployment="fraud", reference=td, thresholds={"psy": 0.2})
    assert info.value.column == "thresholds" and info.value.received == {"psy": 0.2}
    with pytest.raises(SchemaError) as schema_info:
        fs.monitoring.create("m", deployment="fraud", reference=td, features=["amount", "nope"])
    assert schema_info.value.column == "nope"
    with pytest.raises(DataError, match="no split 'valid'"):
        fs.monitoring.create("m", deployment="fraud", reference=td, split="valid")
    with pytest.raises(DataError, match=r"outcome metrics \['roc_auc'\] need a deployment"):
        fs.monitoring.create("m", reference=td, thresholds={"roc_auc": 0.8})
    assert fs.monitoring.list() == []


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append({"path": self.path, "json": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook?token=s3cret", _Hook.received
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_breach_calls_the_webhook_and_never_shows_its_url(
    fs: fh.FeatureStore,
    monitored: dict[str, Any],
    webhook_server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = webhook_server
    log_predictions(fs, 1_000, seed=4, at=DAY2, drift=frozenset({"amount"}))
    mon = fs.monitoring.create(
        "hooked",
        deployment="fraud",
        reference=monitored["td"],
        thresholds={"psi": 0.2},
        webhook=url,
    )
    assert "s3cret" not in repr(mon)
    (run,) = fs.monitoring.run()
    assert len(received) == 1 and received[0]["path"] == "/hook?token=s3cret"
    payload = received[0]["json"]
    assert payload["monitor"] == "hooked" and payload["run"] == 1
    assert {(b["feature"], b["metric"]) for b in payload["breaches"]} == {
        ("amount", "psi"),
        ("prediction", "psi"),
    }
    assert run.webhook == "delivered (HTTP 200)"
    (alert,) = fs.monitoring.alerts()
    assert alert["webhook"] == "delivered (HTTP 200)"
    assert "s3cret" not in json.dumps(alert) + json.dumps(run.to_json())
    assert "s3cret" not in run.report_path.read_text()


def test_an_unreachable_webhook_is_recorded_not_raised(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_predictions(fs, 500, seed=4, at=DAY2, drift=frozenset({"amount"}))
    fs.monitoring.create(
        "hooked",
        deployment="fraud",
        reference=monitored["td"],
        thresholds={"psi": 0.2},
        webhook=f"http://127.0.0.1:{port}/x?token=s3cret",
    )
    (run,) = fs.monitoring.run()
    assert run.webhook.startswith("failed") and "s3cret" not in run.webhook
