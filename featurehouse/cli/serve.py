"""``featurehouse serve``: the online inference service, run by uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import typer

import featurehouse as fh
from featurehouse.cli.common import ProjectOption
from featurehouse.config import Settings
from featurehouse.errors import MissingDependencyError


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
) -> None:
    """Serve predictions and feature vectors over HTTP (docs at /docs)."""
    try:
        import uvicorn

        from featurehouse.serving.app import create_app
        from featurehouse.serving.security import check_bind
    except ImportError as exc:
        raise MissingDependencyError.for_extra(exc.name or "fastapi", "serve") from exc
    settings = Settings.load(project)
    token = token or settings.serve_token or None
    check_bind(host, token)
    if workers == 1:
        # uvicorn re-raises SIGTERM after a graceful shutdown, so the app's lifespan (which
        # writes queued predictions) closes the store; the with-block covers a failed start.
        with fh.FeatureStore(settings) as fs:
            app = create_app(fs, token, close_store=True)
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        return
    # Workers are separate processes that rebuild the app from settings: hand them the
    # project and token the way settings read them.
    os.environ["FEATUREHOUSE_HOME"] = str(settings.home)
    if token:
        os.environ["FEATUREHOUSE_SERVE_TOKEN"] = token
    uvicorn.run(
        "featurehouse.serving.app:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
