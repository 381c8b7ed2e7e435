"""Online inference: live transactions arrive; each is written to ``card_activity`` (as a
streaming feature pipeline would) and scored by the deployment ``fraud`` through the HTTP
service, with its request values (where, when). The service logs every prediction; once
it has stopped, the true outcomes arrive (chargebacks) and are logged against the
request ids; then the monitoring step runs.

Input: the deployment, the live source transactions. Output: ``fraud_predictions``
(served predictions), ``fraud_outcomes`` (what really happened).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import featurehouse as fh
from featurehouse.examples.common import parse_project
from featurehouse.examples.fraud.feature_pipeline import activity, groups, insert_activity
from featurehouse.examples.fraud.monitoring_step import Monitored, monitoring_step
from featurehouse.examples.fraud.service import Service
from featurehouse.examples.fraud.training_pipeline import DEPLOYMENT, LABEL, REQUEST, transactions


@dataclass
class Served:
    url: str = ""
    predictions: list[dict[str, Any]] = field(
        default_factory=list
    )  # tx_id, request_id, score, label
    logged: int = 0
    outcomes: int = 0
    monitored: Monitored | None = None


def arrivals(live: Any) -> list[Any]:
    """Live transactions in time order, cut into micro-batches in which each card appears
    once: a card's features must be written before its next transaction is scored."""
    batches: list[list[int]] = [[]]
    seen: set[int] = set()
    for i, card in enumerate(live["cc_num"].to_pylist()):
        if card in seen:
            batches.append([])
            seen = set()
        batches[-1].append(i)
        seen.add(card)
    return [live.take(b) for b in batches if b]


def run(project: Path, progress: Callable[[int, int], None] | None = None) -> Served:
    """Serve the live transactions, then log their outcomes and run the monitoring step.
    ``progress(done, total)`` is called as transactions are scored."""
    with Service(project) as service:
        served = score_live(project, service.wait_until_ready(), progress)
    return record_outcomes(project, served)


def score_live(
    project: Path, url: str, progress: Callable[[int, int], None] | None = None
) -> Served:
    """Write each arriving live transaction's features and score it through the service
    at ``url``."""
    import httpx

    live = transactions(project, live=True)
    features = activity(project)
    index = {tx: i for i, tx in enumerate(features["tx_id"].to_pylist())}
    served = Served(url)
    with fh.connect(project) as fs:
        group = groups(fs)["card_activity"]
        for batch in arrivals(live):
            arrived = features.take([index[tx] for tx in batch["tx_id"].to_pylist()])
            insert_activity(group, arrived)
            rows = batch.to_pylist()
            body = {
                "entities": [{"cc_num": row["cc_num"]} for row in rows],
                "request": [{name: row[name] for name in REQUEST} for row in rows],
            }
            response = httpx.post(
                f"{url}/v1/deployments/{DEPLOYMENT}/predict", json=body, timeout=60.0
            )
            response.raise_for_status()
            for row, prediction in zip(rows, response.json()["predictions"], strict=True):
                served.predictions.append(
                    {
                        "tx_id": row["tx_id"],
                        "cc_num": row["cc_num"],
                        "request_id": prediction["request_id"],
                        "score": prediction["prediction"],
                        LABEL: row[LABEL],
                    }
                )
            if progress is not None:
                progress(len(served.predictions), live.num_rows)
    return served


def record_outcomes(project: Path, served: Served) -> Served:
    """Once the service has stopped (its log written): count the logged predictions, log
    the outcomes that arrive later (chargebacks), run the monitoring step."""
    ids = {p["request_id"] for p in served.predictions}
    with fh.connect(project) as fs:
        log = fs.get_feature_group(f"{DEPLOYMENT}_predictions").read().to_arrow()
        served.logged = sum(1 for r in log["request_id"].to_pylist() if r in ids)
        served.outcomes = fs.log_outcomes(
            DEPLOYMENT,
            [
                {"request_id": p["request_id"], "outcome": float(p[LABEL])}
                for p in served.predictions
            ],
        )
        served.monitored = monitoring_step(fs, DEPLOYMENT, reference=reference_dataset(fs))
    return served


def reference_dataset(fs: fh.FeatureStore) -> fh.TrainingDataset:
    """The training dataset of the model version the deployment serves."""
    deployment = fs.deployments.get(DEPLOYMENT)
    first = deployment.models[0]
    version = fs.models.get(first.model, first.version)
    view = fs.get_feature_view(*deployment.feature_view)
    return view.get_training_dataset(version.lineage["training_dataset"])


def main(argv: Sequence[str] | None = None) -> None:
    served = run(parse_project(__doc__ or "", argv))
    flagged = sorted(served.predictions, key=lambda p: -p["score"])[:5]
    print(
        f"{len(served.predictions)} live transactions scored over HTTP, {served.logged} "
        f"predictions logged, {served.outcomes} outcomes logged; highest scores:"
    )
    for p in flagged:
        print(f"  {p['tx_id']} card {p['cc_num']}: {p['score']:.3f} (fraud: {p[LABEL]})")
    if served.monitored is not None:
        print(f"monitoring report: {served.monitored.report}")


if __name__ == "__main__":
    main()
