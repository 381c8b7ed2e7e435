"""``POST /v1/feature-views/{name}/vectors``: online feature vectors of entities.

The route is ``async``: a lookup in a local online store (SQLite) takes a few tens of
microseconds, less than a hop to the threadpool, so it runs on the event loop; a store
that waits on the network (Redis) is read in the threadpool (``ServiceState.lookup``).
The state is taken from the request (``service_state``), not through ``Depends``:
FastAPI's solving of a sub-dependency costs ~100 µs a request, a sixth of a whole lookup
over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request, Response

from featurehouse.errors import DataError
from featurehouse.serving.bodies import (
    NAME_PATTERN,
    VectorsBody,
    VectorsResponse,
    json_response,
    json_value,
    ok_response,
)
from featurehouse.serving.entities import check_entities
from featurehouse.serving.state import ServiceState, service_state

router = APIRouter(prefix="/v1", tags=["feature vectors"])


@router.post(
    "/feature-views/{name}/vectors",
    response_model=None,
    responses=ok_response(VectorsResponse, "The feature vectors, one per entity, in order"),
    summary="Feature vectors of entities from the online store",
)
async def vectors(
    body: VectorsBody,
    http: Request,
    name: str = Path(pattern=NAME_PATTERN, description="The feature view."),
) -> Response:
    """The features of each entity in the view's order (null where a group has no row for
    it), on-demand features computed from ``request``; ``transformed`` applies the
    statistics of the view's bound training dataset."""
    state = await service_state(http)
    return await state.lookup(_vectors, state, name, body)


def _vectors(state: ServiceState, name: str, body: VectorsBody) -> Response:
    view = state.feature_view(name, body.version)
    obj = f"feature view {view.label}"
    check_entities(obj, view.keys, state.key_types(view), body.entities)
    if isinstance(body.request, list) and len(body.request) != len(body.entities):
        raise DataError(
            f"{obj}: {len(body.request)} requests for {len(body.entities)} entities",
            obj=obj,
            column="request",
            expected=len(body.entities),
            received=len(body.request),
        )
    vectors, found = view.get_feature_vector_list_found(
        body.entities, body.request, transformed=body.transformed
    )
    names = list(vectors[0]) if vectors else view.feature_vector_names(body.transformed)
    if body.as_objects:
        rows: list[Any] = [{n: json_value(row[n]) for n in names} for row in vectors]
    else:
        rows = [[json_value(row[n]) for n in names] for row in vectors]
    return json_response(
        {
            "feature_view": view.name,
            "version": view.version,
            "features": names,
            "vectors": rows,
            "found": found,
        }
    )
