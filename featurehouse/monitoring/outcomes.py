"""Predictions joined with their outcomes, and how good the predictions were: accuracy,
precision, recall, F1 and ROC AUC for classifiers; MAE and RMSE for regressors; per time
window and per slice (the values of a feature), to expose a group the model treats worse."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.errors import DataError, NotFoundError
from featurehouse.types import as_utc

if TYPE_CHECKING:
    import numpy as np

    from featurehouse.models.platform import Platform

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
METRICS = {
    "classification": ("accuracy", "precision", "recall", "f1", "roc_auc"),
    "regression": ("mae", "rmse"),
}


def prediction_log(
    store: Platform,
    deployment: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> pa.Table:
    """The predictions a deployment logged with ``start <= ts < end``."""
    try:
        group = store.get_feature_group(f"{deployment}_predictions")
    except NotFoundError as exc:
        raise NotFoundError(
            f"deployment {deployment!r} has logged no predictions", obj=deployment
        ) from exc
    return group.read(as_utc(start), as_utc(end)).to_arrow()


def predictions_with_outcomes(
    store: Platform,
    deployment: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> pa.Table:
    """Every logged prediction in the window with its latest outcome (``outcome``,
    ``outcome_ts``; null while none is logged), ordered by time."""
    predictions = prediction_log(store, deployment, start, end)
    try:
        outcomes = store.get_feature_group(f"{deployment}_outcomes").read().to_arrow()
    except NotFoundError:
        outcomes = pa.table(
            {
                "request_id": pa.array([], pa.string()),
                "ts": pa.array([], pa.timestamp("us", tz="UTC")),
                "outcome": pa.array([], pa.float64()),
            }
        )
    outcomes = outcomes.take(pc.sort_indices(outcomes, [("ts", "ascending")]))
    last = {rid: i for i, rid in enumerate(outcomes.column("request_id").to_pylist())}
    latest = (
        outcomes.take(pa.array(list(last.values()), pa.int64()))
        .select(["request_id", "outcome", "ts"])
        .rename_columns(["request_id", "outcome", "outcome_ts"])
    )
    joined = predictions.join(latest, "request_id", join_type="left outer")
    return joined.take(pc.sort_indices(joined, [("ts", "ascending"), ("request_id", "ascending")]))


def parse_window(window: str) -> timedelta:
    """``"15m"``, ``"1h"``, ``"7d"``: a window length."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", window)
    if match is None or int(match.group(1)) == 0:
        raise DataError(
            f"window must be a positive number and a unit (s, m, h, d, w), received {window!r}",
            obj="window",
            expected="e.g. '1h', '15m', '1d'",
            received=window,
        )
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def classification_metrics(outcome: np.ndarray, score: np.ndarray) -> dict[str, float | None]:
    """Scores at or above 0.5 count as the positive class; AUC ranks the scores."""
    import numpy as np

    from featurehouse.monitoring.drift import scipy_stats

    truth = outcome == 1
    predicted = score >= 0.5
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    positives, negatives = int(truth.sum()), int((~truth).sum())
    auc = None
    if positives and negatives:  # Mann-Whitney U over average ranks (ties count half)
        ranks = scipy_stats().rankdata(score)
        auc = (ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return {
        "accuracy": float(np.mean(truth == predicted)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": None if auc is None else float(auc),
    }


def regression_metrics(outcome: np.ndarray, prediction: np.ndarray) -> dict[str, float | None]:
    import numpy as np

    error = prediction - outcome
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error**2)))}


def _slice_values(table: pa.Table, feature: str) -> list[Any]:
    """A feature's (or entity key's) value in each logged row."""
    values = []
    for features, entity in zip(
        table.column("features").to_pylist(), table.column("entity").to_pylist(), strict=True
    ):
        row = {**json.loads(entity), **json.loads(features)}
        if feature not in row:
            raise DataError(
                f"slice_by: {feature!r} is neither a logged feature nor an entity key; "
                f"logged: {sorted(row)}",
                obj="slice_by",
                column=feature,
                expected=sorted(row),
                received=feature,
            )
        values.append(row[feature])
    return values


def outcome_metrics(
    joined: pa.Table,
    window: str | None = None,
    slice_by: str | None = None,
    task: str | None = None,
) -> pa.Table:
    """Metrics of the predictions that have outcomes: one row per window (and slice value).

    ``task`` is ``classification`` (outcomes 0/1, predictions scores) or ``regression``;
    by default classification when every outcome is 0 or 1.
    """
    import numpy as np

    labelled = joined.filter(pc.is_valid(joined.column("outcome")))
    labelled = labelled.filter(pc.is_valid(labelled.column("prediction")))
    outcome = labelled.column("outcome").to_numpy()
    prediction = labelled.column("prediction").to_numpy()
    if task is None:
        task = "classification" if np.isin(outcome, (0.0, 1.0)).all() else "regression"
    if task not in ("classification", "regression"):
        raise DataError(
            f"task must be 'classification' or 'regression', received {task!r}",
            obj="task",
            expected=["classification", "regression"],
            received=task,
        )
    metrics = classification_metrics if task == "classification" else regression_metrics
    groups: dict[tuple[Any, ...], list[int]] = {}
    starts: list[Any] = [None] * labelled.num_rows
    if window is not None:
        length = parse_window(window)
        starts = [
            EPOCH + ((t - EPOCH) // length) * length for t in labelled.column("ts").to_pylist()
        ]
    slices = _slice_values(labelled, slice_by) if slice_by else [None] * labelled.num_rows
    for i, key in enumerate(zip(starts, slices, strict=True)):
        groups.setdefault(key, []).append(i)
    rows = []
    for (window_start, slice_value), index in sorted(groups.items(), key=lambda g: str(g[0])):
        row: dict[str, Any] = {}
        if window is not None:
            row["window_start"] = window_start
        if slice_by:
            row[slice_by] = None if slice_value is None else str(slice_value)
        row["count"] = len(index)
        row.update(metrics(outcome[index], prediction[index]))
        rows.append(row)
    if not rows:
        names = (["window_start"] if window else []) + ([slice_by] if slice_by else [])
        return pa.table({n: pa.array([]) for n in [*names, "count", *METRICS[task]]})
    return pa.Table.from_pylist(rows)
