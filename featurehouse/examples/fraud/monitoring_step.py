"""The fraud system's last step: monitoring of the deployment against its training data.

A monitor compares the served inputs and predictions (the prediction log) with the
training split of the model's training dataset, measures the model against the outcomes
logged so far (ROC AUC, recall, precision), alerts past its thresholds and writes an HTML
report.

Input: the deployment and its reference training dataset. Output: a monitor run (in the
catalog, with alerts on a breach) and its report.
"""

from __future__ import annotations

from dataclasses import dataclass

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.monitoring.monitors import OUTCOMES, Monitor

MONITOR = "fraud"
# The usual rule of thumb for PSI: above 0.2 the distribution has shifted materially; a
# ROC AUC below 0.8 is far below the ~0.99 the model reaches on its test split.
THRESHOLDS = {"psi": 0.2, "roc_auc": 0.8}


@dataclass(frozen=True)
class Monitored:
    report: str
    rows: int  # logged predictions in the window
    watched: int  # features watched, the prediction included
    drifted: dict[str, float]  # feature -> PSI above the threshold, largest first
    outcomes: dict[str, float]  # count, roc_auc, recall, ... of predictions with outcomes
    worse: list[str]  # the outcome metrics below their thresholds


def monitoring_step(
    fs: fh.FeatureStore, deployment: str, reference: fh.TrainingDataset
) -> Monitored:
    """Run the drift monitor of ``deployment``'s model inputs over all it logged (creating
    the monitor, or a new version of it when the reference changed) and measure the logged
    outcomes."""
    monitor = _monitor(fs, deployment, reference)
    run = fs.monitoring.run(name=monitor.name)[0]
    drifted = sorted((b for b in run.breaches if b.metric == "psi"), key=lambda b: -b.value)
    return Monitored(
        report=str(run.report_path),
        rows=run.rows,
        watched=len(run.drift),
        drifted={b.feature: b.value for b in drifted},
        outcomes=run.outcomes or {"count": 0},
        worse=[b.metric for b in run.breaches if b.feature == OUTCOMES],
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
