"""Two small ASGI middlewares: a limit on request body size (by Content-Length and by the
bytes that really arrive, since a client may stream without announcing a length), and
request counts and latencies per route and status."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from featurehouse.serving.http_errors import error_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from featurehouse.serving.metrics import Metrics


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None:
            if not announced.isdigit():
                response = error_response(400, "BadRequest", "Content-Length is not a number")
                await response(scope, receive, send)
                return
            if int(announced) > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI re-raises an HTTPException met while reading the body as it is.
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    def _too_large(self) -> ASGIApp:
        return error_response(413, "TooLarge", self._message())


class RequestMetrics:
    """Count requests and time them, labelled by route template (not the raw path, which a
    client could vary without end), method and status. Routes FastAPI does not name in the
    scope (the docs) are labelled by their path when it is one of ``fixed_paths``."""

    def __init__(self, app: ASGIApp, metrics: Metrics, fixed_paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.fixed_paths = fixed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route is None:
                route = scope["path"] if scope["path"] in self.fixed_paths else "unmatched"
            self.metrics.observe_request(
                scope["method"], route, status, time.perf_counter() - start
            )
