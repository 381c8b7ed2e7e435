"""Prometheus metrics of one service: requests and their latency per route and status,
predictions served, and the prediction logs' written and dropped entries (read from the
logs when scraped). Each app has a registry of its own, so several can live in a process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from featurehouse.serving.prediction_log import PredictionLog
    from featurehouse.serving.predictor import Prediction

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, logs: Callable[[], Mapping[str, PredictionLog]]) -> None:
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self._requests = Counter(
            "featurehouse_http_requests",
            "HTTP requests served, by route template, method and status.",
            labels,
            registry=self.registry,
        )
        self._latency = Histogram(
            "featurehouse_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template, method and status.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._predictions = Counter(
            "featurehouse_predictions",
            "Predictions served, by deployment and model version.",
            ["deployment", "model", "model_version"],
            registry=self.registry,
        )
        self.registry.register(_PredictionLogCollector(logs))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route, str(status)).observe(seconds)

    def count_predictions(self, deployment: str, predictions: Sequence[Prediction]) -> None:
        for p in predictions:
            self._predictions.labels(deployment, p.model, str(p.model_version)).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _PredictionLogCollector(Collector):
    def __init__(self, logs: Callable[[], Mapping[str, PredictionLog]]) -> None:
        self._logs = logs

    def collect(self) -> Iterator[Metric]:
        written = CounterMetricFamily(
            "featurehouse_prediction_log_written",
            "Predictions written to the <deployment>_predictions feature group.",
            labels=["deployment"],
        )
        dropped = CounterMetricFamily(
            "featurehouse_prediction_log_dropped",
            "Prediction log entries dropped (a full queue or a failed write).",
            labels=["deployment"],
        )
        for name, log in sorted(self._logs().items()):
            written.add_metric([name], log.written)
            dropped.add_metric([name], log.dropped)
        yield written
        yield dropped
