"""Training/serving skew: requests served through the real predictor and logged; a feature
whose online value was tampered with is the only one reported."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import featurehouse as fh
from featurehouse.errors import DataError
from featurehouse.monitoring.skew import _requests
from featurehouse.serving.prediction_log import PredictionLog
from featurehouse.serving.predictor import Predictor

TAMPERED = [3, 5, 8, 13, 21]


def serve_and_log(fs: fh.FeatureStore, users: range) -> None:
    log = PredictionLog(fs, "fraud", interval=0.05)
    entities = [{"user_id": u} for u in users]
    for entity, result in zip(entities, Predictor(fs).predict("fraud", entities), strict=True):
        log.append(entity, result, latency_ms=1.0)
    log.close()


def test_skew_reports_only_the_tampered_feature(
    fs: fh.FeatureStore, monitored: dict[str, Any]
) -> None:
    serve_and_log(fs, range(100))
    assert fs.monitoring.skew("fraud").num_rows == 0  # served = recomputed offline
    group = monitored["group"]
    stored = group.read().to_arrow()
    rows = stored.filter(pa.compute.is_in(stored["user_id"], pa.array(TAMPERED)))
    tampered = rows.set_column(
        rows.schema.get_field_index("score"), "score", pa.compute.add(rows["score"], 1.0)
    )
    # behind the store's back: the online row changes, the offline history does not
    fs._services.online.overwrite(group._spec.online_table, tampered, versions=1)
    serve_and_log(fs, range(30))
    report = fs.monitoring.skew("fraud", sample=1_000).to_pylist()
    assert [r["feature"] for r in report] == ["score"]
    assert report[0]["compared"] == 130 and report[0]["differing"] == len(TAMPERED)
    served, offline = float(report[0]["served"]), float(report[0]["offline"])
    assert served == pytest.approx(offline + 1.0)
    sampled = fs.monitoring.skew("fraud", sample=40, seed=1).to_pylist()
    assert sampled == [] or (sampled[0]["feature"] == "score" and sampled[0]["compared"] == 40)


def test_request_parameters_missing_from_older_logs_are_named() -> None:
    older = pa.table({"request_id": ["a", "b"], "request": ['{"amount": 1.0}', None]})
    with pytest.raises(DataError, match="predictions logged before they were kept") as info:
        _requests("fraud", ["amount"], older)
    assert info.value.column == "request"
    assert _requests("fraud", ["amount"], older.slice(0, 1)) == [{"amount": 1.0}]
    with pytest.raises(DataError):
        _requests("fraud", ["amount"], older.drop_columns(["request"]))


def test_skew_needs_logged_predictions(fs: fh.FeatureStore, monitored: dict[str, Any]) -> None:
    with pytest.raises(fh.FeaturehouseError, match="logged no predictions"):
        fs.monitoring.skew("fraud")
    with pytest.raises(fh.FeaturehouseError):
        fs.monitoring.skew("nonexistent")
