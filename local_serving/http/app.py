"""Assemble the Starlette app: V2 routes, admin routes, /metrics and the lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local_serving.http import admin, v2
from local_serving.http.errors import InternalErrors
from local_serving.http.state import ServerState, error_response
from local_serving.metrics.prom import CONTENT_TYPE


async def metrics(request: Request) -> Response:
    """GET /metrics in the Prometheus text exposition format."""
    state: ServerState = request.app.state.serving
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths get the V2 error shape."""
    return error_response(404, f"no endpoint {request.method} {request.url.path}")


async def bad_method(request: Request, exc: Exception) -> Response:
    """Wrong method on a known path."""
    return error_response(405, f"method {request.method} not allowed on {request.url.path}")


def routes() -> list[Route]:
    """Every endpoint, inference first (routes are matched in order)."""
    model = "/v2/models/{model}"
    version = "/v2/models/{model}/versions/{version}"
    admin_model = "/admin/models/{model}"
    return [
        Route(f"{model}/infer", v2.infer, methods=["POST"]),
        Route(f"{version}/infer", v2.infer, methods=["POST"]),
        Route("/v2", v2.server_metadata, methods=["GET"]),
        Route("/v2/health/live", v2.live, methods=["GET"]),
        Route("/v2/health/ready", v2.ready, methods=["GET"]),
        Route("/v2/repository/index", v2.repository_index, methods=["POST"]),
        Route(model, v2.model_metadata, methods=["GET"]),
        Route(f"{model}/ready", v2.model_ready, methods=["GET"]),
        Route(version, v2.model_metadata, methods=["GET"]),
        Route(f"{version}/ready", v2.model_ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/admin/models", admin.authorized(admin.list_models), methods=["GET"]),
        Route(admin_model, admin.authorized(admin.get_model), methods=["GET"]),
        Route(f"{admin_model}/traffic", admin.authorized(admin.set_traffic), methods=["PUT"]),
        Route(f"{admin_model}/rollback", admin.authorized(admin.rollback), methods=["POST"]),
        Route(f"{admin_model}/shadow", admin.authorized(admin.set_shadow), methods=["PUT"]),
        Route(f"{admin_model}/labels", admin.authorized(admin.add_labels), methods=["POST"]),
        Route(
            f"{admin_model}/versions/{{version}}/load",
            admin.authorized(admin.load_version),
            methods=["POST"],
        ),
        Route(
            f"{admin_model}/versions/{{version}}/unload",
            admin.authorized(admin.unload_version),
            methods=["POST"],
        ),
    ]


def build_app(
    state: ServerState,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> Starlette:
    """The app; the recorder runs for the app's lifetime, the hooks around it."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Start the recorder, freeze start-up objects out of the GC's way, announce the server."""
        state.recorder.start()
        gc.collect()
        gc.freeze()
        if on_start is not None:
            on_start()
        try:
            yield
        finally:
            if on_stop is not None:
                on_stop()
            state.codec.close()
            state.recorder.stop()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(InternalErrors)],
        exception_handlers={404: not_found, 405: bad_method},
    )
    app.state.serving = state
    return app
