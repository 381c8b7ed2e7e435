"""``POST /v1/feature-views/{name}/vectors``: online feature vectors of entities."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from featurehouse.errors import DataError
from featurehouse.serving.bodies import (
    ERROR_RESPONSES,
    NAME_PATTERN,
    VectorsBody,
    VectorsResponse,
    json_value,
)
from featurehouse.serving.entities import check_entities
from featurehouse.serving.state import ServiceState, service_state

router = APIRouter(prefix="/v1", tags=["feature vectors"])


@router.post(
    "/feature-views/{name}/vectors",
    response_model=VectorsResponse,
    responses=ERROR_RESPONSES,
    summary="Feature vectors of entities from the online store",
)
def vectors(
    body: VectorsBody,
    name: str = Path(pattern=NAME_PATTERN, description="The feature view."),
    state: ServiceState = Depends(service_state),
) -> VectorsResponse:
    """The features of each entity in the view's order (null where a group has no row for
    it), on-demand features computed from ``request``; ``transformed`` applies the
    statistics of the view's bound training dataset."""
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
    result = view.get_feature_vectors(body.entities, body.request, transformed=body.transformed)
    names = [c for c in result.columns if c not in view.keys]
    rows = [{n: json_value(row[n]) for n in names} for row in result.to_pylist()]
    return VectorsResponse(
        feature_view=view.name,
        version=view.version,
        features=names,
        vectors=rows if body.as_objects else [[row[n] for n in names] for row in rows],
    )
