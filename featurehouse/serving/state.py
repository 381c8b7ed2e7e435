"""What the service keeps between requests: the store, the predictor, one prediction log per
deployment (opened on its first prediction, drained on shutdown), feature views refreshed
as often as deployments, and the key types of each view."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, cast

from fastapi import Request

from featurehouse.serving.metrics import Metrics
from featurehouse.serving.prediction_log import PredictionLog
from featurehouse.serving.predictor import REFRESH_SECONDS, Predictor

if TYPE_CHECKING:
    import pyarrow as pa

    from featurehouse.feature_view import FeatureView
    from featurehouse.store import FeatureStore


class ServiceState:
    def __init__(self, store: FeatureStore, *, log_interval: float = 0.5) -> None:
        self.store = store
        self.predictor = Predictor(store)
        self.metrics = Metrics(self.prediction_logs)
        self._log_interval = log_interval
        self._logs: dict[str, PredictionLog] = {}
        self._views: dict[tuple[str, int | None], tuple[float, FeatureView]] = {}
        self._key_types: dict[str, dict[str, pa.DataType]] = {}
        self._lock = threading.Lock()

    def prediction_logs(self) -> dict[str, PredictionLog]:
        return dict(self._logs)

    def prediction_log(self, deployment: str) -> PredictionLog:
        log = self._logs.get(deployment)
        if log is None:
            with self._lock:
                log = self._logs.get(deployment)
                if log is None:
                    log = PredictionLog(self.store, deployment, interval=self._log_interval)
                    self._logs[deployment] = log
        return log

    def feature_view(self, name: str, version: int | None) -> FeatureView:
        """A view, re-read after ``REFRESH_SECONDS`` so a new version or binding shows."""
        now = time.monotonic()
        cached = self._views.get((name, version))
        if cached is None or now - cached[0] > REFRESH_SECONDS:
            cached = (now, self.store.get_feature_view(name, version))
            self._views[(name, version)] = cached
        return cached[1]

    def key_types(self, view: FeatureView) -> dict[str, pa.DataType]:
        """The Arrow type of each key of ``view``: the primary key of its first group."""
        types = self._key_types.get(view.label)
        if types is None:
            root = view.query.root
            schema = self.store.get_feature_group(root.group, root.version).schema
            types = {
                k: schema.field(k).type
                for k in view.keys
                if schema is not None and k in schema.names
            }
            self._key_types[view.label] = types
        return types

    def close(self) -> None:
        """Write every queued prediction, then stop the logs' writers."""
        with self._lock:
            logs, self._logs = list(self._logs.values()), {}
        for log in logs:
            log.close()


def service_state(request: Request) -> ServiceState:
    """The state of the app serving ``request`` (a FastAPI dependency)."""
    return cast(ServiceState, request.app.state.featurehouse)
