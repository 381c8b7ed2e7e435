"""Monitors: what to watch (a deployment's inputs and predictions, or a view's new feature
data) against which reference (a training dataset split), with which thresholds. A run
computes the drift of every feature in a time window and, for a deployment, the outcome
metrics of the predictions in it that have outcomes; it records the run, writes an alert and
calls the webhook on a breach, and writes an HTML report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.catalog.codec import Record, entry_attribute
from featurehouse.engine.statistics import column_kind
from featurehouse.errors import DataError, NotFoundError
from featurehouse.monitoring.drift import (
    CATEGORICAL_METRICS,
    NUMERIC_METRICS,
    breached,
    categorical_drift,
    numeric_drift,
)
from featurehouse.monitoring.outcomes import METRICS as OUTCOME_METRICS
from featurehouse.monitoring.outcomes import (
    outcome_metrics,
    prediction_log,
    predictions_with_outcomes,
)
from featurehouse.types import as_utc

if TYPE_CHECKING:
    from featurehouse.core.feature_view import FeatureView
    from featurehouse.models.platform import Platform

MONITOR = "monitor"
MONITOR_RUN = "monitor_run"
PREDICTION = "prediction"  # the feature name prediction drift is reported under
OUTCOMES = "outcomes"  # the feature name breaches of outcome metrics are reported under
DRIFT_METRICS = frozenset(NUMERIC_METRICS + CATEGORICAL_METRICS)
GREATER_IS_BETTER = frozenset(OUTCOME_METRICS["classification"])  # breached when below
METRICS = DRIFT_METRICS | GREATER_IS_BETTER | frozenset(OUTCOME_METRICS["regression"])


@dataclass(frozen=True)
class Breach:
    monitor: str
    feature: str
    metric: str
    value: float
    threshold: float


@dataclass(frozen=True)
class Monitor(Record):
    name: str = field(metadata=entry_attribute("name"))
    version: int = field(metadata=entry_attribute("version"))
    feature_view: tuple[str, int]
    reference: int  # the training dataset version
    split: str
    features: tuple[str, ...]
    thresholds: dict[str, float]
    deployment: str | None = None
    webhook: str | None = field(default=None, repr=False)  # may hold a secret: never shown


@dataclass(frozen=True)
class FeatureSample:
    """The reference and current values of one feature."""

    kind: str  # numeric or categorical
    reference: Any
    current: Any


@dataclass(frozen=True)
class MonitorRun(Record):
    """What one run of a monitor found."""

    monitor: str
    run: int
    started_at: datetime
    start: datetime | None
    end: datetime | None
    rows: int  # current rows in the window
    drift: dict[str, dict[str, float]]
    breaches: list[Breach]
    report_path: Path
    webhook: str = "not configured"
    outcomes: dict[str, float] = field(default_factory=dict)  # count and metrics, if any


def check_thresholds(
    name: str, thresholds: dict[str, float], deployment: str | None
) -> dict[str, float]:
    """Thresholds of drift metrics, and of outcome metrics for a deployment's monitor."""
    outcomes = sorted((set(thresholds) & METRICS) - DRIFT_METRICS)
    if outcomes and deployment is None:
        raise DataError(
            f"monitor {name!r}: thresholds on outcome metrics {outcomes} need a deployment",
            obj=name,
            column="thresholds",
            expected=sorted(DRIFT_METRICS),
            received=outcomes,
        )
    for metric, value in thresholds.items():
        if metric not in METRICS or isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(
                f"monitor {name!r}: thresholds take numbers for {sorted(METRICS)}, received "
                f"{metric!r}: {value!r}",
                obj=name,
                column="thresholds",
                expected=sorted(METRICS),
                received={metric: value},
            )
    return {k: float(v) for k, v in thresholds.items()}


def _values(kind: str, values: list[Any]) -> Any:
    """Nulls (and NaNs) left out; numbers as a float array, categories as text."""
    import numpy as np

    if kind == "numeric":
        array = np.array([v for v in values if v is not None], dtype=float)
        return array[~np.isnan(array)]
    return [str(v) for v in values if v is not None]


def _current_rows(
    store: Platform, monitor: Monitor, view: FeatureView, start: Any, end: Any
) -> tuple[dict[str, list[Any]], list[Any] | None]:
    """The current values of each feature (and the predictions, for a deployment)."""
    if monitor.deployment is None:
        table = view.training_data(start=start, end=end).to_arrow()
        return {f: table.column(f).to_pylist() for f in monitor.features}, None
    try:
        logs = prediction_log(store, monitor.deployment, start, end)
    except NotFoundError:  # nothing served yet: an empty window, not a failed run
        return {f: [] for f in monitor.features}, []
    vectors = [json.loads(v) for v in logs.column("features").to_pylist()]
    columns = {f: [v.get(f) for v in vectors] for f in monitor.features}
    return columns, logs.column("prediction").to_pylist()


def _reference_predictions(
    store: Platform, monitor: Monitor, view: FeatureView, reference: pa.Table
) -> list[Any]:
    """What the deployed model predicts for the reference rows."""
    from featurehouse.serving.predictor import Predictor, run_model

    assert monitor.deployment is not None
    served = store.deployments.get(monitor.deployment).models[0]
    loaded = Predictor(store).loaded(view, served.model, served.version)
    rows = reference.select(view.features).to_pylist()
    return list(run_model(loaded, [loaded.prepare(r) for r in rows]))


def samples(
    store: Platform, monitor: Monitor, start: Any, end: Any
) -> tuple[dict[str, FeatureSample], int]:
    """Every watched feature's reference and current values, and the current row count."""
    view = store.get_feature_view(*monitor.feature_view)
    dataset = view.get_training_dataset(monitor.reference)
    reference = dataset.read(monitor.split).to_arrow()
    current, predictions = _current_rows(store, monitor, view, start, end)
    rows = len(next(iter(current.values()), [])) if predictions is None else len(predictions)
    out = {}
    for feature in monitor.features:
        kind = column_kind(view.feature_types[feature])
        if kind in ("numeric", "categorical"):
            out[feature] = FeatureSample(
                kind,
                _values(kind, reference.column(feature).to_pylist()),
                _values(kind, current[feature]),
            )
    if predictions is not None and any(p is not None for p in predictions):  # numeric ones
        out[PREDICTION] = FeatureSample(
            "numeric",
            _values("numeric", _reference_predictions(store, monitor, view, reference)),
            _values("numeric", predictions),
        )
    return out, rows


def drift_of(sample: FeatureSample) -> dict[str, float]:
    """The drift metrics of one feature; none when either side has no values."""
    if len(sample.reference) == 0 or len(sample.current) == 0:
        return {}
    if sample.kind == "numeric":
        return numeric_drift(sample.reference, sample.current)
    return categorical_drift(sample.reference, sample.current)


def is_breach(metric: str, value: float, threshold: float) -> bool:
    """A classification metric is breached by a value below its threshold; the error of a
    regressor and the drift metrics as ``drift.breached`` says."""
    return value < threshold if metric in GREATER_IS_BETTER else breached(metric, value, threshold)


def breaches_of(monitor: Monitor, measured: dict[str, dict[str, float]]) -> list[Breach]:
    return [
        Breach(monitor.name, feature, metric, metrics[metric], threshold)
        for feature, metrics in measured.items()
        for metric, threshold in monitor.thresholds.items()
        if metric in metrics and is_breach(metric, metrics[metric], threshold)
    ]


def outcomes_of(store: Platform, monitor: Monitor, start: Any, end: Any) -> dict[str, float]:
    """The count and metrics of the window's predictions that have outcomes (none without
    a deployment, or before any outcome)."""
    if monitor.deployment is None:
        return {}
    try:
        joined = predictions_with_outcomes(store, monitor.deployment, start, end)
    except NotFoundError:
        return {}
    rows = outcome_metrics(joined).to_pylist()
    if not rows:
        return {}
    return {metric: float(value) for metric, value in rows[0].items() if value is not None}


def run_monitor(
    store: Platform, monitor: Monitor, start: Any = None, end: Any = None
) -> tuple[MonitorRun, dict[str, FeatureSample]]:
    """Compute one run's drift and breaches (not yet recorded)."""
    start, end = as_utc(start), as_utc(end)
    found, rows = samples(store, monitor, start, end)
    drift = {feature: drift_of(sample) for feature, sample in found.items()}
    drift = {feature: metrics for feature, metrics in drift.items() if metrics}
    outcomes = outcomes_of(store, monitor, start, end)
    run = MonitorRun(
        monitor=monitor.name,
        run=0,
        started_at=datetime.now(UTC),
        start=start,
        end=end,
        rows=rows,
        drift=drift,
        breaches=breaches_of(monitor, {**drift, OUTCOMES: outcomes}),
        report_path=Path(),
        outcomes=outcomes,
    )
    return run, found
