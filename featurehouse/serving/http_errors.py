"""Errors leave the service as ``{"error": {"type", "message", "field", "expected",
"received"}}``, with a status that says whose mistake it was: a client's mistake is a 4xx,
never a 500.

    NotFoundError                              404
    DataError, SchemaError, InvalidNameError   422  (so are request validation errors)
    AlreadyExistsError, ConflictError          409
    BackendError                               503 when retrying can help, else 500
    anything else                              500

A server fault (5xx) leaves with a generic message: its details (paths, addresses, table
URIs) go to the server's log only, with any password in a URL masked.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from featurehouse.errors import (
    AlreadyExistsError,
    BackendError,
    ConflictError,
    DataError,
    FeaturehouseError,
    InvalidNameError,
    NotFoundError,
    SchemaError,
)
from featurehouse.serving.bodies import json_value

logger = logging.getLogger("featurehouse.serving")

STATUS: dict[type[FeaturehouseError], int] = {
    NotFoundError: 404,
    DataError: 422,
    SchemaError: 422,
    InvalidNameError: 422,
    AlreadyExistsError: 409,
    ConflictError: 409,
}
HTTP_TYPES = {401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed", 413: "TooLarge"}
SCALAR_TAGS = ("int", "float", "str", "bool")
MAX_RECEIVED_CHARS = 200  # echo short inputs back; never a whole oversized body
GENERIC = {
    500: "internal error; see the server's log",
    503: "a store is unavailable; retrying can help",
}
URL_CREDENTIALS = re.compile(r"(\w[\w+.-]*://)[^/@\s]+@")


def error_response(
    status: int,
    kind: str,
    message: str,
    *,
    field: str | None = None,
    expected: Any = None,
    received: Any = None,
    headers: Mapping[str, str] | None = None,
    more: dict[str, Any] | None = None,
) -> JSONResponse:
    error = {
        "type": kind,
        "message": message,
        "field": field,
        "expected": _short(expected),
        "received": _short(received),
        **(more or {}),
    }
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def status_of(exc: FeaturehouseError) -> int:
    if isinstance(exc, BackendError):
        return 503 if exc.retryable else 500
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


async def featurehouse_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeaturehouseError)
    status = status_of(exc)
    headers = {"Retry-After": "1"} if exc.retryable else None
    if status >= 500:
        logger.error("%s: %s", type(exc).__name__, without_credentials(exc.message))
        return error_response(status, type(exc).__name__, GENERIC[status], headers=headers)
    return error_response(
        status,
        type(exc).__name__,
        exc.message,
        field=exc.column,
        expected=exc.expected,
        received=exc.received,
        headers=headers,
    )


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's validation errors in the same form, naming the most specific field at
    fault (a value that fits no member of a union fails once per member: one message)."""
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if not raw:
        return error_response(422, "ValidationError", "invalid request")
    errors = [
        {"field": field_name(e.get("loc", ())), "message": e.get("msg", ""), "kind": e.get("type")}
        for e in raw
    ]
    first = max(range(len(raw)), key=lambda i: len(raw[i].get("loc", ())))
    field = errors[first]["field"]
    same = [i for i in range(len(raw)) if errors[i]["field"] == field]
    kinds = [raw[i].get("type") for i in same]
    received = raw[first].get("input")
    message = _one_message([str(errors[i]["message"]) for i in same])
    if kinds == ["json_invalid"]:  # located by a character position, not a field
        field = received = errors[first]["field"] = None
    if isinstance(received, bytes):
        message += " (send a JSON object with Content-Type: application/json)"
        received = None
    return error_response(
        422,
        "ValidationError",
        f"{field or 'body'}: {message}",
        field=field,
        expected=kinds[0] if len(kinds) == 1 else kinds,
        received=None if "missing" in kinds else received,
        more={"errors": errors[:20]},
    )


def _one_message(messages: list[str]) -> str:
    """ "Input should be a valid integer", "Input should be a valid string" -> "Input
    should be a valid integer or a valid string"."""
    prefix = "Input should be "
    if len(messages) < 2 or not all(m.startswith(prefix) for m in messages):
        return "; ".join(dict.fromkeys(messages))
    options = list(dict.fromkeys(m[len(prefix) :] for m in messages))
    return prefix + (
        ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]
    )


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = HTTP_TYPES.get(exc.status_code, "HTTPError")
    return error_response(exc.status_code, kind, str(exc.detail), headers=exc.headers)


async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    trace = "".join(traceback.format_exception(exc))
    logger.error("unexpected error while serving a request:\n%s", without_credentials(trace))
    return error_response(500, "InternalError", GENERIC[500])


def without_credentials(text: str) -> str:
    """``redis://:pw@host:6379`` -> ``redis://***@host:6379``: a log is read by more people
    than the secrets' holders."""
    return URL_CREDENTIALS.sub(r"\1***@", text)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FeaturehouseError, featurehouse_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


def field_name(loc: Sequence[Any]) -> str | None:
    """``("body", "entities", 0, "cc_num", "int")`` -> ``entities[0].cc_num``.

    Pydantic adds the union member it tried to the location: a type name such as
    ``list[...]`` in the middle, or the name of a scalar type at the end (scalars are
    always values of a field or key here, so a last part named ``int`` is a tag).
    """
    parts = [p for p in loc if not (isinstance(p, str) and "[" in p)]
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] in SCALAR_TAGS:
        parts = parts[:-1]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _short(value: Any) -> Any:
    value = json_value(value)
    text = json.dumps(value)
    return value if len(text) <= MAX_RECEIVED_CHARS else text[:MAX_RECEIVED_CHARS] + "..."
