"""``GET /healthz`` (always open: load balancers probe it) and ``GET /metrics``
(Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from featurehouse.serving.bodies import Health
from featurehouse.serving.state import ServiceState, service_state

health = APIRouter(tags=["operations"])
metrics = APIRouter(tags=["operations"])


@health.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok")


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
