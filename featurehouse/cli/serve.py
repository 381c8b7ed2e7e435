"""``featurehouse serve``: the online inference service, run by uvicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

import featurehouse as fh
from featurehouse.cli.common import ProjectOption, require_project
from featurehouse.config import Settings
from featurehouse.errors import MissingDependencyError

# uvloop's event loop (not on Windows) and the httptools parser, both in the serve extra:
# uvicorn's "auto" picks them too, but naming them makes a missing one an error rather than
# a slower server. The parser runs in uvicorn's protocol with a limit on header size.
LOOP = "asyncio" if sys.platform == "win32" else "uvloop"
HTTP = "featurehouse.serving.http_protocol:HeaderLimitedHttpToolsProtocol"


def run(
    project: Path | None = ProjectOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port to listen on."),
    token: str | None = typer.Option(
        None,
        help="Bearer token every /v1 request must carry (required unless the address is "
        "loopback). Prefer FEATUREHOUSE_SERVE_TOKEN: a command line is visible to `ps`.",
        show_default=False,
    ),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    log_level: str = typer.Option("info", help="uvicorn's log level."),
    access_log: bool = typer.Option(
        False, help="Log every request (off by default: /metrics counts them)."
    ),
) -> None:
    """Serve predictions and feature vectors over HTTP (docs at /docs)."""
    try:
        import httptools  # noqa: F401
        import uvicorn

        if LOOP == "uvloop":
            import uvloop  # noqa: F401

        from featurehouse.serving.app import create_app
        from featurehouse.serving.security import check_bind
    except ImportError as exc:
        raise MissingDependencyError.for_extra(exc.name or "fastapi", "serve") from exc
    settings = Settings.load(project)
    token = token or settings.serve_token or None
    check_bind(host, token)
    require_project(settings)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": log_level,
        "loop": LOOP,
        "http": HTTP,
    }
    if workers == 1:
        # uvicorn re-raises SIGTERM after a graceful shutdown, so the app's lifespan (which
        # writes queued predictions) closes the store; the with-block covers a failed start.
        with fh.FeatureStore(settings) as fs:
            app = create_app(fs, token, close_store=True)
            uvicorn.run(app, **options)
        return
    # Workers are separate processes that rebuild the app from settings: hand them the
    # project and token the way settings read them.
    os.environ["FEATUREHOUSE_HOME"] = str(settings.home)
    if token:
        os.environ["FEATUREHOUSE_SERVE_TOKEN"] = token
    uvicorn.run(
        "featurehouse.serving.app:app_from_settings", factory=True, workers=workers, **options
    )
