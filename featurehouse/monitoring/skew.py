"""Training/serving skew: the feature vectors of a sample of logged requests recomputed
offline, point-in-time at each request's time, through the feature view's training data,
and compared with what was served."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.errors import DataError
from featurehouse.monitoring.outcomes import prediction_log

if TYPE_CHECKING:
    from featurehouse.models.platform import Platform

REL_TOLERANCE = 1e-9  # floats that went through JSON and back compare equal within this


def same(served: Any, offline: Any) -> bool:
    """Whether a served value (as logged in JSON) equals the value computed offline."""
    if served is None or offline is None:
        return served is None and offline is None
    if isinstance(offline, float) and math.isnan(offline):
        return isinstance(served, float) and math.isnan(served)
    if isinstance(served, int | float) and isinstance(offline, int | float):
        return math.isclose(served, offline, rel_tol=REL_TOLERANCE, abs_tol=REL_TOLERANCE)
    if isinstance(offline, datetime):
        return str(served) == str(offline)
    return bool(served == offline)


def _requests(deployment: str, parameters: list[str], logs: pa.Table) -> list[dict[str, Any]]:
    """The request parameters each logged prediction's on-demand features took."""
    column = "request"
    logged: list[Any] = logs.column(column).to_pylist() if column in logs.column_names else [None]
    if None in logged:
        raise DataError(
            f"deployment {deployment!r}: its view's on-demand features take request "
            f"parameters {parameters}, which predictions logged before they were kept lack; "
            "choose a window after",
            obj=deployment,
            column=column,
            expected=parameters,
            received=None,
        )
    return [json.loads(r) for r in logged]


def training_serving_skew(
    store: Platform,
    deployment: str,
    sample: int = 200,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    seed: int = 0,
) -> pa.Table:
    """One row per feature whose served value differs from the offline one for some of
    ``sample`` logged requests: how many were compared and differ, and one example."""
    import numpy as np

    view = store.get_feature_view(*store.deployments.get(deployment).feature_view)
    logs = prediction_log(store, deployment, start, end)
    if sample < logs.num_rows:
        rng = np.random.default_rng(seed)
        logs = logs.take(np.sort(rng.choice(logs.num_rows, sample, replace=False)))
    entities = [json.loads(e) for e in logs.column("entity").to_pylist()]
    served = [json.loads(f) for f in logs.column("features").to_pylist()]
    spine: dict[str, Any] = {k: [e.get(k) for e in entities] for k in view.keys}
    spine[view.event_time] = logs.column("ts")
    if view.request_parameters:
        requests = _requests(deployment, view.request_parameters, logs)
        for name in view.request_parameters:
            spine[name] = [r[name] for r in requests]
    for label in view.labels:
        if label not in view.features:
            spine[label] = pa.nulls(logs.num_rows)
    offline = view.training_data(spine=pa.table(spine)).to_pylist()
    request_ids = logs.column("request_id").to_pylist()
    rows = []
    for feature in view.features:
        compared = [i for i, s in enumerate(served) if feature in s]
        differ = [i for i in compared if not same(served[i][feature], offline[i][feature])]
        if differ:
            first = differ[0]
            rows.append(
                {
                    "feature": feature,
                    "compared": len(compared),
                    "differing": len(differ),
                    "share": len(differ) / len(compared),
                    "request_id": request_ids[first],
                    "served": json.dumps(served[first][feature], default=str),
                    "offline": json.dumps(offline[first][feature], default=str),
                }
            )
    schema = pa.schema(
        [
            ("feature", pa.string()),
            ("compared", pa.int64()),
            ("differing", pa.int64()),
            ("share", pa.float64()),
            ("request_id", pa.string()),
            ("served", pa.string()),
            ("offline", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
