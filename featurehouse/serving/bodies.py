"""Request and response bodies of the HTTP service, with their size limits, and how values
leave it as JSON (no NaN, datetimes as ISO 8601 text)."""

from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from featurehouse.types import OBJECT_NAME

MAX_ENTITIES = 1_000  # per call: larger batches belong to batch inference
MAX_FIELDS = 64  # per entity or request
MAX_BODY_BYTES = 1024 * 1024
NAME_PATTERN = OBJECT_NAME.pattern

# JSON parsing gives 1e400 as inf and takes NaN / Infinity literals: no feature means them.
FiniteFloat = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Scalar = StrictInt | FiniteFloat | StrictStr | StrictBool | None
FieldName = Annotated[str, Field(max_length=128)]
Entity = Annotated[dict[FieldName, Scalar], Field(max_length=MAX_FIELDS)]
RequestParameters = Annotated[dict[FieldName, Scalar], Field(max_length=MAX_FIELDS)]
RequestField = Annotated[
    RequestParameters | list[RequestParameters] | None,
    Field(
        description="Request parameters of on-demand features: one object for every entity, "
        "or a list with one object per entity.",
        max_length=MAX_ENTITIES,
    ),
]
Entities = Annotated[
    list[Entity],
    Field(
        description=f"Entity keys, one object per entity (at most {MAX_ENTITIES}).",
        max_length=MAX_ENTITIES,
    ),
]


class PredictBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entities": [{"cc_num": 1}]}]}
    )

    entities: Entities
    request: RequestField = None


class PredictionOut(BaseModel):
    request_id: str = Field(description="Quote it when logging the outcome.")
    prediction: Any
    model: str
    model_version: int
    found: bool = Field(
        description="False when the entity is not in the online store: the prediction was "
        "made from null features (a deployment with missing_entities='refuse' answers 404)."
    )


class PredictResponse(BaseModel):
    deployment: str
    revision: int = Field(description="The deployment revision that was current.")
    predictions: list[PredictionOut]


class VectorsBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entities": [{"cc_num": 1}]}]}
    )

    entities: Entities
    request: RequestField = None
    transformed: bool = Field(
        False, description="Apply the statistics of the view's bound training dataset."
    )
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="Default: the latest.")
    as_objects: bool = Field(
        False, description="Each vector as an object of feature values instead of a list."
    )


class VectorsResponse(BaseModel):
    feature_view: str
    version: int
    features: list[str]
    vectors: list[list[Any]] | list[dict[str, Any]]
    found: list[bool] = Field(
        description="For each entity, whether it is in the online store (else its stored "
        "features are null)."
    )


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when a deployment cannot serve")
    unhealthy_deployments: list[str] | None = Field(
        None, description="The deployments whose model cannot be loaded."
    )


class ErrorDetail(BaseModel):
    type: str
    message: str
    field: str | None = Field(None, description="The field at fault, e.g. entities[0].cc_num")
    expected: Any = None
    received: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def json_response(payload: dict[str, Any]) -> Response:
    """``payload`` (already made JSON-safe by ``json_value``) rendered by orjson: the answer
    of a hot route, which skips FastAPI's validation of a ``response_model`` (its schema
    stays in the OpenAPI document through ``responses``)."""
    try:
        content = orjson.dumps(payload)
    except TypeError:  # an int beyond 64 bits, which orjson refuses and JSON allows
        content = json.dumps(payload).encode()
    return Response(content, media_type="application/json")


def ok_response(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a route's 200 answer, with the error answers."""
    return {200: {"model": model, "description": description}, **ERROR_RESPONSES}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong bearer token"},
    404: {
        "model": ErrorResponse,
        "description": "Unknown deployment or feature view, or an entity a deployment refuses",
    },
    413: {"model": ErrorResponse, "description": "Body larger than the limit"},
    422: {"model": ErrorResponse, "description": "A field is missing, unknown or mistyped"},
    503: {"model": ErrorResponse, "description": "A store is unavailable; retrying can help"},
}


def json_value(value: Any) -> Any:
    """``value`` as JSON can carry it: NaN and infinities become null, times ISO text."""
    if type(value) is float:  # most features: checked first, as a vector holds many
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return json_value(float(value))
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return json_value(value.item())
    if hasattr(value, "tolist"):  # numpy arrays
        return json_value(value.tolist())
    return str(value)
