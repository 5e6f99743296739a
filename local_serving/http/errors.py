"""Unexpected failures: a 500 that names an error id (never the exception), details in the log.

The middleware answers anything a handler let escape and does not re-raise, so the
connection stays usable for the client's next request (uvicorn closes a keep-alive
connection, without `Connection: close`, when an exception reaches it).
"""

from __future__ import annotations

import logging
import secrets

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from local_serving.http.state import error_response

log = logging.getLogger("local_serving")


def internal_error(what: str) -> Response:
    """Log the exception being handled under a fresh id; a 500 naming only the id."""
    error_id = secrets.token_hex(4)
    log.exception("%s failed (error id %s)", what, error_id)
    return error_response(500, f"{what} failed: internal error {error_id} (see the server log)")


class InternalErrors:
    """ASGI middleware: an exception escaping the app becomes a 500 in the V2 error shape."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer its escaped exception unless a response has already begun."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            """Note when the response has begun."""
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise
            response = internal_error(f"{scope['method']} {scope['path']}")
            await response(scope, receive, send)
