"""``POST /v1/deployments/{name}/predict``: predictions through a deployment, each logged
with its latency to the deployment's prediction log. The prediction runs in the threadpool:
a model may take far longer than a lookup, and must not hold up the event loop. The state
is taken from the request, not through ``Depends`` (see ``routes_vectors``)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from featurehouse.serving.bodies import (
    NAME_PATTERN,
    PredictBody,
    PredictResponse,
    json_response,
    json_value,
    ok_response,
)
from featurehouse.serving.entities import check_entities
from featurehouse.serving.state import ServiceState, service_state

router = APIRouter(prefix="/v1", tags=["predictions"])


@router.post(
    "/deployments/{name}/predict",
    response_model=None,
    responses=ok_response(PredictResponse, "One prediction per entity, in order"),
    summary="Predict for entities through a deployment",
)
async def predict(
    body: PredictBody,
    http: Request,
    name: str = Path(pattern=NAME_PATTERN, description="The deployment."),
) -> Response:
    """One prediction per entity, by the model version its key is routed to, with a
    request id to quote when logging the outcome."""
    state = await service_state(http)
    return await run_in_threadpool(_predict, state, name, body)


def _predict(state: ServiceState, name: str, body: PredictBody) -> Response:
    predictor = state.predictor
    deployment = predictor.deployment(name)
    view = predictor.view(deployment)
    check_entities(f"deployment {name}", view.keys, state.key_types(view), body.entities)
    start = time.perf_counter()
    predictions = predictor.predict(name, body.entities, body.request)
    latency_ms = (time.perf_counter() - start) * 1000
    log = state.prediction_log(name)
    for entity, prediction in zip(body.entities, predictions, strict=True):
        log.append(entity, prediction, latency_ms)
    state.metrics.count_predictions(name, predictions)
    return json_response(
        {
            "deployment": name,
            "revision": deployment.revision,
            "predictions": [
                {
                    "request_id": p.request_id,
                    "prediction": json_value(p.prediction),
                    "model": p.model,
                    "model_version": p.model_version,
                    "found": p.found,
                }
                for p in predictions
            ],
        }
    )
