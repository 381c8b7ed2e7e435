"""Predictions joined with outcomes in one call, and outcome metrics per window and slice,
checked against scikit-learn."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

import featurehouse as fh
from featurehouse.errors import DataError, NotFoundError

from .conftest import T0, log_predictions

DAY1 = T0 + timedelta(days=1)


def test_predictions_with_outcomes_keep_the_latest_outcome_per_request(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    with pytest.raises(NotFoundError, match="logged no predictions"):
        fs.predictions_with_outcomes("fraud")
    ids = log_predictions(fs, 50, seed=1, at=DAY1)
    unlabelled = fs.predictions_with_outcomes("fraud").to_pandas()
    assert len(unlabelled) == 50 and unlabelled["outcome"].isna().all()
    fs.log_outcomes("fraud", [{"request_id": i, "outcome": 1.0, "ts": DAY1} for i in ids[:10]])
    fs.log_outcomes(  # a correction, logged later, wins
        "fraud", [{"request_id": ids[0], "outcome": 0.0, "ts": DAY1 + timedelta(hours=1)}]
    )
    joined = fs.predictions_with_outcomes("fraud").to_pandas()
    assert len(joined) == 50 and joined["ts"].is_monotonic_increasing
    outcomes = dict(zip(joined["request_id"], joined["outcome"], strict=True))
    assert outcomes[ids[0]] == 0.0 and all(outcomes[i] == 1.0 for i in ids[1:10])
    assert all(np.isnan(outcomes[i]) for i in ids[10:])
    window = fs.predictions_with_outcomes("fraud", start=DAY1, end=DAY1 + timedelta(minutes=10))
    assert 0 < len(window) < 50


def logged_with_outcomes(fs: fh.FeatureStore, regression: bool) -> Any:
    ids = log_predictions(
        fs, 600, seed=7, at=DAY1, spread=timedelta(hours=3), probability=not regression
    )
    joined = fs.predictions_with_outcomes("fraud").to_pandas()
    rng = np.random.default_rng(8)
    if regression:
        truth = joined["prediction"] + rng.normal(0, 5, len(joined))
    else:  # outcomes drawn from the scores: a useful but imperfect classifier
        truth = (rng.random(len(joined)) < joined["prediction"]).astype(float)
    labelled = joined.iloc[: len(ids) - 100]  # the last 100 have no outcome yet
    fs.log_outcomes(
        "fraud",
        [
            {"request_id": r, "outcome": float(t), "ts": DAY1 + timedelta(days=1)}
            for r, t in zip(labelled["request_id"], truth[: len(labelled)], strict=True)
        ],
    )
    return joined


def test_classification_metrics_per_window_and_slice_match_sklearn(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    logged_with_outcomes(fs, regression=False)
    result = fs.monitoring.outcome_metrics("fraud", window=None).to_pandas()
    assert result.columns.tolist() == ["count", "accuracy", "precision", "recall", "f1", "roc_auc"]
    joined = fs.predictions_with_outcomes("fraud").to_pandas().dropna(subset=["outcome"])
    assert result["count"].tolist() == [500] and len(joined) == 500
    assert 0.6 < result["roc_auc"][0] < 1 and 0 < result["precision"][0] < 1
    by_hour = fs.monitoring.outcome_metrics("fraud", window="1h", slice_by="country").to_pandas()
    for _, row in by_hour.iterrows():
        start = row["window_start"]
        part = joined[(joined["ts"] >= start) & (joined["ts"] < start + timedelta(hours=1))]
        countries = part["features"].map(lambda f: json.loads(f)["country"])
        part = part[countries == row["country"]]
        y, score = part["outcome"].to_numpy(), part["prediction"].to_numpy()
        assert row["count"] == len(part) > 0
        predicted = score >= 0.5
        assert row["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
        assert row["precision"] == pytest.approx(skm.precision_score(y, predicted, zero_division=0))
        assert row["recall"] == pytest.approx(skm.recall_score(y, predicted, zero_division=0))
        assert row["f1"] == pytest.approx(skm.f1_score(y, predicted, zero_division=0))
        if len(set(y)) == 2:
            assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score))
        else:
            assert row["roc_auc"] is None or np.isnan(row["roc_auc"])
    assert by_hour["count"].sum() == 500 and by_hour["window_start"].nunique() == 3


def test_regression_metrics_match_sklearn(fs: fh.FeatureStore, monitored: dict[str, Any]) -> None:
    logged_with_outcomes(fs, regression=True)
    joined = fs.predictions_with_outcomes("fraud").to_pandas().dropna(subset=["outcome"])
    result = fs.monitoring.outcome_metrics("fraud", window="1d", slice_by="device").to_pandas()
    assert set(result.columns) == {"window_start", "device", "count", "mae", "rmse"}
    for _, row in result.iterrows():
        devices = joined["features"].map(lambda f: json.loads(f)["device"])
        part = joined[devices == row["device"]]
        y, p = part["outcome"], part["prediction"]
        assert row["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
        assert row["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))


def test_bad_windows_slices_and_tasks_are_named(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    logged_with_outcomes(fs, regression=True)
    with pytest.raises(DataError) as info:
        fs.monitoring.outcome_metrics("fraud", window="1 fortnight")
    assert info.value.obj == "window" and info.value.received == "1 fortnight"
    with pytest.raises(DataError) as slice_info:
        fs.monitoring.outcome_metrics("fraud", slice_by="planet")
    assert slice_info.value.column == "planet"
    with pytest.raises(DataError, match="task"):
        fs.monitoring.outcome_metrics("fraud", task="ranking")
