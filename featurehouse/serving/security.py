"""Who may call the service: anyone on this machine when it listens on a loopback address;
only holders of the bearer token when a token is set, which it must be on any other
address. The token is compared in constant time and never logged."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from featurehouse.errors import DataError

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


def bearer_token(token: str) -> Callable[..., Awaitable[None]]:
    """A dependency that lets a request through only with ``Authorization: Bearer <token>``."""
    scheme = HTTPBearer(auto_error=False, description="The token `featurehouse serve` was given.")
    expected = token.encode()

    async def require_token(  # async: FastAPI would run a plain function in a thread
        credentials: HTTPAuthorizationCredentials | None = Depends(scheme),
    ) -> None:
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                401,
                "a valid bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_token
