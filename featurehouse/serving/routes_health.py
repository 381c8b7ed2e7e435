"""``GET /healthz`` (always open: load balancers probe it) and ``GET /metrics``
(Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from featurehouse.serving.bodies import Health
from featurehouse.serving.state import ServiceState, service_state

health = APIRouter(tags=["operations"])
metrics = APIRouter(tags=["operations"])


@health.get("/healthz", response_model=Health, response_model_exclude_none=True, summary="Liveness")
def healthz(state: ServiceState = Depends(service_state)) -> Health:
    """``ok``, or ``degraded`` with the deployments whose model cannot be loaded (the
    server's log says why). Still a 200: the process serves its other deployments, and a
    load balancer should not take every replica out for one broken deployment."""
    unhealthy = state.predictor.unhealthy()
    if unhealthy:
        return Health(status="degraded", unhealthy_deployments=unhealthy)
    return Health(status="ok", unhealthy_deployments=None)


@metrics.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus metrics"}},
    summary="Prometheus metrics",
)
def prometheus_metrics(state: ServiceState = Depends(service_state)) -> Response:
    """Requests and latency per route and status, predictions served, prediction log
    entries written and dropped."""
    body, content_type = state.metrics.render()
    return Response(body, media_type=content_type)
