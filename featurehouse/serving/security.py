"""Who may call the service: anyone on this machine when it listens on a loopback address;
only holders of the bearer token when a token is set, which it must be on any other
address. The token is checked by an ASGI middleware, before a route reads the request's
body, compared in constant time and never logged."""

from __future__ import annotations

import hmac
import ipaddress
from typing import TYPE_CHECKING

from fastapi.security import HTTPBearer

from featurehouse.errors import DataError
from featurehouse.serving.http_errors import error_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_HELP = "--token or the FEATUREHOUSE_SERVE_TOKEN environment variable"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not token and not is_loopback(host):
        raise DataError(
            f"refusing to serve on {host}, which is reachable from other machines, without a "
            f"token: set one with {TOKEN_HELP}, or bind 127.0.0.1",
            obj="serve",
            column="token",
            expected="a bearer token",
        )


# Documents the token in the OpenAPI schema; ``TokenGuard`` enforces it.
BEARER = HTTPBearer(auto_error=False, description="The token `featurehouse serve` was given.")


class TokenGuard:
    """Let an HTTP request through only with ``Authorization: Bearer <token>``, unless its
    path is one of ``open_paths``; others get 401 before anything reads their body."""

    def __init__(self, app: ASGIApp, token: str, open_paths: frozenset[str]) -> None:
        self.app = app
        self.expected = token.encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        refused = error_response(
            401,
            "Unauthorized",
            "a valid bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await refused(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        # compared even for a wrong scheme, so the answer takes as long either way
        matches = hmac.compare_digest(given.strip(), self.expected)
        return matches and scheme.lower() == b"bearer"
