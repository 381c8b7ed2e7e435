"""Batch inference: a deployment's view's batch data, scored by each entity's model version,
written to ``<deployment>_inference`` with the model version that made each prediction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from featurehouse.errors import DataError
from featurehouse.serving.prediction_log import log_group
from featurehouse.serving.predictor import Predictor, run_model

if TYPE_CHECKING:
    from featurehouse.core.writer import WriteResult
    from featurehouse.models.platform import Platform


def batch_predict(
    store: Platform,
    name: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> tuple[pa.Table, WriteResult]:
    """Score every entity seen in ``[start, end]`` with its features as of ``end``."""
    predictor = Predictor(store)
    deployment = predictor.deployment(name)
    view = predictor.view(deployment)
    rows = view.batch_data(start, end).to_pylist()
    if not rows:
        raise DataError(
            f"deployment {name!r}: no entities to score in the window", obj=name, received=0
        )
    served = [deployment.choose(tuple(row[k] for k in view.keys)) for row in rows]
    predictions: list[float | None] = [None] * len(rows)
    groups: dict[tuple[str, int], list[int]] = {}
    for i, choice in enumerate(served):
        groups.setdefault((choice.model, choice.version), []).append(i)
    for (model, version), indices in groups.items():
        loaded = predictor.loaded(view, model, version)
        inputs = [loaded.prepare({f: rows[i][f] for f in view.features}) for i in indices]
        for i, value in zip(indices, run_model(loaded, inputs), strict=True):
            predictions[i] = float(value)
    table = pa.table(
        {
            **{k: [row[k] for row in rows] for k in view.keys},
            "ts": pa.array([row[view.event_time] for row in rows], pa.timestamp("us", tz="UTC")),
            "model": [s.model for s in served],
            "model_version": pa.array([s.version for s in served], pa.int64()),
            "prediction": pa.array(predictions, pa.float64()),
        }
    )
    group = log_group(
        store, f"{name}_inference", table.schema, view.keys, f"batch predictions of {name}"
    )
    return table, group.insert(table)
