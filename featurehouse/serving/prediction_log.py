"""Prediction logs: every served prediction appended to an offline feature group
(``<deployment>_predictions``), in batches, off the request path; outcomes (labels) logged
later to ``<deployment>_outcomes`` and joined by request id.

The queue is bounded: if storage stalls, new entries are dropped and counted rather than
growing memory or slowing requests. ``close()`` writes everything still queued.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurehouse.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    from featurehouse.core.feature_group import FeatureGroup
    from featurehouse.models.platform import Platform
    from featurehouse.serving.predictor import Prediction


LOG_INTERVAL = 5.0  # seconds between writes of a prediction log


def _schema() -> pa.Schema:
    return pa.schema(
        [
            ("request_id", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("model", pa.string()),
            ("model_version", pa.int64()),
            ("entity", pa.string()),
            ("features", pa.string()),
            ("transformed", pa.string()),
            ("prediction", pa.float64()),
            ("prediction_json", pa.string()),
            ("latency_ms", pa.float64()),
            ("request", pa.string()),  # added later: null in rows logged before
        ]
    )


def log_group(
    store: Platform, name: str, schema: pa.Schema, keys: Sequence[str], description: str
) -> FeatureGroup:
    """The offline feature group a log is kept in (created on first use)."""
    try:
        return store.get_feature_group(name)
    except NotFoundError:
        try:
            return store.create_feature_group(
                name,
                version=1,
                primary_key=list(keys),
                event_time="ts",
                schema=schema,
                description=description,
            )
        except AlreadyExistsError:
            return store.get_feature_group(name)  # another process created it first


def predictions_group(store: Platform, deployment: str) -> FeatureGroup:
    return log_group(
        store,
        f"{deployment}_predictions",
        _schema(),
        ["request_id"],
        f"predictions served by {deployment}",
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class PredictionLog:
    """A bounded queue drained by one thread that inserts batches into the log group."""

    def __init__(
        self,
        store: Platform,
        deployment: str,
        *,
        capacity: int = 100_000,
        batch: int = 5_000,
        interval: float = LOG_INTERVAL,
    ) -> None:
        self.deployment = deployment
        self.dropped = 0
        self.written = 0
        self._group = predictions_group(store, deployment)
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=capacity)
        self._batch = batch
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"prediction-log-{deployment}", daemon=True
        )
        self._thread.start()

    def append(self, entity: Mapping[str, Any], prediction: Prediction, latency_ms: float) -> None:
        """Queue one logged prediction; never blocks (a full queue drops and counts it)."""
        numeric = isinstance(prediction.prediction, int | float) and not isinstance(
            prediction.prediction, bool
        )
        row = {
            "request_id": prediction.request_id,
            "ts": datetime.now(UTC),
            "model": prediction.model,
            "model_version": prediction.model_version,
            "entity": _dumps(dict(entity)),
            "features": _dumps(prediction.features),
            "transformed": _dumps(prediction.transformed),
            "prediction": float(prediction.prediction) if numeric else None,
            "prediction_json": _dumps(prediction.prediction),
            "latency_ms": latency_ms,
            "request": _dumps(prediction.request),
        }
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Stop the writer after it has written everything queued."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            # At most one write an interval (each is a commit of the log group, with its
            # statistics): under steady traffic, writing whenever a row is queued would
            # commit back to back and take a core from the requests.
            self._stop.wait(self._interval)
            while True:  # a full batch may leave more behind: write on until it does not
                rows = self._take()
                if rows:
                    self._write(rows)
                if len(rows) < self._batch:
                    break

    def _take(self) -> list[dict[str, Any]]:
        """Up to ``batch`` queued rows, without waiting."""
        rows: list[dict[str, Any]] = []
        with contextlib.suppress(queue.Empty):
            while len(rows) < self._batch:
                rows.append(self._queue.get_nowait())
        return rows

    def _write(self, rows: list[dict[str, Any]]) -> None:
        try:
            self._group.insert(pa.Table.from_pylist(rows, schema=_schema()))
            self.written += len(rows)
        except Exception:  # a storage failure must not kill the writer: count and go on
            self.dropped += len(rows)


def log_outcomes(
    store: Platform, deployment: str, outcomes: Sequence[Mapping[str, Any]] | Any
) -> int:
    """Record what really happened for served requests: rows of ``request_id`` and
    ``outcome`` (and optionally ``ts``), joined to the predictions by request id."""
    from featurehouse.core.frames import to_arrow

    table = to_arrow(f"{deployment} outcomes", outcomes)
    if "ts" not in table.column_names:
        table = table.append_column(
            "ts", pa.array([datetime.now(UTC)] * table.num_rows, pa.timestamp("us", tz="UTC"))
        )
    schema = pa.schema(
        [
            ("request_id", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("outcome", pa.float64()),
        ]
    )
    group = log_group(
        store,
        f"{deployment}_outcomes",
        schema,
        ["request_id"],
        f"outcomes of {deployment}'s predictions",
    )
    return group.insert(table.select(["request_id", "ts", "outcome"])).rows_inserted
