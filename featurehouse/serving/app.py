"""The online inference service: predictions through deployments and feature vectors over
HTTP, with health, Prometheus metrics and OpenAPI docs (``/docs``).

>>> from featurehouse.serving.app import create_app
>>> app = create_app(fh.connect("/srv/fh"), token="...")   # any ASGI server can run it

``featurehouse serve`` runs it with uvicorn. One router per resource (``routes_*.py``);
errors leave as JSON naming the field at fault (``http_errors.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from featurehouse.config import Settings
from featurehouse.serving import routes_health, routes_predict, routes_vectors
from featurehouse.serving.bodies import MAX_BODY_BYTES
from featurehouse.serving.http_errors import install_error_handlers
from featurehouse.serving.middleware import BodyLimit, RequestMetrics
from featurehouse.serving.prediction_log import LOG_INTERVAL
from featurehouse.serving.security import BEARER, TokenGuard
from featurehouse.serving.state import ServiceState

if TYPE_CHECKING:
    from featurehouse.models.platform import Platform


def create_app(
    store: Platform,
    token: str | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    log_interval: float = LOG_INTERVAL,
    close_store: bool = False,
) -> FastAPI:
    """The service over ``store``. With a ``token``, every route but ``/healthz`` and the
    docs needs ``Authorization: Bearer <token>``. On start-up every deployment's models
    are loaded; on shutdown every queued prediction is written to its log; ``close_store``
    then closes the store too."""
    state = ServiceState(store, log_interval=log_interval)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(state.warm_up)
        try:
            yield
        finally:
            await run_in_threadpool(state.close)
            if close_store:
                store.close()

    app = FastAPI(
        title="featurehouse",
        version=metadata.version("featurehouse"),
        description="Online inference: predictions through deployments, feature vectors.",
        lifespan=lifespan,
    )
    app.state.featurehouse = state
    install_error_handlers(app)
    guarded = [Depends(BEARER)] if token else []
    app.include_router(routes_health.health)
    app.include_router(routes_health.metrics, dependencies=guarded)
    app.include_router(routes_predict.router, dependencies=guarded)
    app.include_router(routes_vectors.router, dependencies=guarded)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    docs = frozenset(
        p
        for p in (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
        if p
    )
    # The last added runs first: the token is checked before a body is read, and the
    # metrics see every request, 401s and 413s included.
    if token:
        app.add_middleware(TokenGuard, token=token, open_paths=docs | {"/healthz"})
    app.add_middleware(RequestMetrics, metrics=state.metrics, fixed_paths=docs)
    return app


def app_from_settings() -> FastAPI:
    """The app for each uvicorn worker process: the project and token from settings
    (``FEATUREHOUSE_HOME``, ``FEATUREHOUSE_SERVE_TOKEN``)."""
    from featurehouse.models.platform import Platform

    settings = Settings.load()
    return create_app(Platform(settings), settings.serve_token or None, close_store=True)
