"""What the service keeps between requests: the store, the predictor, one prediction log per
deployment (opened on its first prediction, drained on shutdown), feature views refreshed
as often as deployments, the key types of each view, and where online lookups run (on the
event loop, or in the threadpool for a store that waits on the network)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

import pyarrow as pa
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from featurehouse.serving.metrics import Metrics
from featurehouse.serving.prediction_log import LOG_INTERVAL, PredictionLog
from featurehouse.serving.predictor import REFRESH_SECONDS, Predictor

if TYPE_CHECKING:
    from featurehouse.core.feature_view import FeatureView
    from featurehouse.models.platform import Platform

logger = logging.getLogger("featurehouse.serving")
P = ParamSpec("P")
T = TypeVar("T")


class ServiceState:
    def __init__(self, store: Platform, *, log_interval: float = LOG_INTERVAL) -> None:
        self.store = store
        # One thread per model call: a request scores a few rows, for which waking a pool
        # of threads costs more than it saves (and on a busy machine waits for free cores).
        self.predictor = Predictor(store, threads=1)
        self.metrics = Metrics(self.prediction_logs)
        self._log_interval = log_interval
        self._logs: dict[str, PredictionLog] = {}
        self._views: dict[tuple[str, int | None], tuple[float, FeatureView]] = {}
        self._key_types: dict[str, dict[str, pa.DataType]] = {}
        self._lock = threading.Lock()

    async def lookup(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work``, which reads the online store: on the event loop when the store
        reads a local file (faster than a hop to a thread), in the threadpool when it
        waits on the network."""
        if self.store.online_network_reads:
            return await run_in_threadpool(work, *args, **kwargs)
        return work(*args, **kwargs)

    def warm_up(self) -> None:
        """Load every deployment's view and models before the first request, which would
        otherwise wait for them (seconds, in a worker that has just started). One that
        cannot be loaded is only logged: its own requests will report why."""
        for deployment in self.store.deployments.list():
            try:
                self.predictor.deployment(deployment.name)
                view = self.predictor.view(deployment)
                for served in deployment.models:
                    self.predictor.served(deployment, view, served.model, served.version)
            except Exception as exc:  # one broken deployment must not stop the service
                logger.warning("deployment %s not loaded at start: %s", deployment.name, exc)

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


async def service_state(request: Request) -> ServiceState:
    """The state of the app serving ``request`` (a FastAPI dependency; ``async``, as FastAPI
    runs a plain function dependency in the threadpool)."""
    return cast(ServiceState, request.app.state.featurehouse)
