"""The fraud system's last step: monitoring of the deployment against its training data.

A drift monitor compares the served inputs and predictions (the prediction log) with the
training split of the model's training dataset and writes an HTML report; the outcomes
logged so far give the model's live ROC AUC and recall.

Input: the deployment and its reference training dataset. Output: a monitor run (in the
catalog, with alerts on a breach) and its report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.monitoring.monitors import Monitor

MONITOR = "fraud_inputs"
# The usual rule of thumb for PSI: above 0.2 the distribution has shifted materially.
THRESHOLDS = {"psi": 0.2}


@dataclass(frozen=True)
class Monitored:
    report: str
    rows: int  # logged predictions in the window
    watched: int  # features watched, the prediction included
    drifted: dict[str, float]  # feature -> PSI above the threshold, largest first
    outcomes: dict[str, Any]  # count, roc_auc, recall, ... of predictions with outcomes


def monitoring_step(
    fs: fh.FeatureStore, deployment: str, reference: fh.TrainingDataset
) -> Monitored:
    """Run the drift monitor of ``deployment``'s model inputs over all it logged (creating
    the monitor, or a new version of it when the reference changed) and measure the logged
    outcomes."""
    monitor = _monitor(fs, deployment, reference)
    run = fs.monitoring.run(name=monitor.name)[0]
    metrics = fs.monitoring.outcome_metrics(deployment, window=None).to_arrow().to_pylist()
    drifted = sorted(run.breaches, key=lambda b: -b.value)
    return Monitored(
        report=str(run.report_path),
        rows=run.rows,
        watched=len(run.drift),
        drifted={b.feature: b.value for b in drifted},
        outcomes=metrics[0] if metrics else {"count": 0},
    )


def _monitor(fs: fh.FeatureStore, deployment: str, reference: fh.TrainingDataset) -> Monitor:
    watched = ((reference.feature_view, reference.feature_view_version), reference.version)
    try:
        monitor = fs.monitoring.get(MONITOR)
        if (
            monitor.feature_view,
            monitor.reference,
        ) == watched and monitor.deployment == deployment:
            return monitor
    except NotFoundError:
        pass
    served = fs.deployments.get(deployment).models[0]
    return fs.monitoring.create(
        MONITOR,
        deployment=deployment,
        reference=reference,
        features=fs.models.get(served.model, served.version).inputs,
        thresholds=THRESHOLDS,
    )
