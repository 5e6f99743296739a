"""Connections that wait on the client are closed after an idle timeout.

uvicorn times out a keep-alive connection only after a response; a connection that
never sends a request, or stops half-way through one, would stay open for ever. This
protocol arms a timer on connect and on every read, and closes the connection when it
fires while the server is waiting on the client (not while the app works on a request).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class IdleTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (a dependency), plus a timeout on waiting for the client."""

    idle_timeout_s = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the idle clock as soon as the client connects."""
        super().connection_made(transport)
        self._idle: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        """The client sent something: restart the clock."""
        super().data_received(data)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        if self._idle is not None:
            self._idle.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        """(Re)start the idle timer."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.loop.call_later(self.idle_timeout_s, self._expired)

    def _expired(self) -> None:
        """Close if waiting on the client; wait again while a whole request is being served."""
        self._idle = None
        cycle = self.cycle
        if cycle is not None and not cycle.more_body and not cycle.response_complete:
            self._arm()
            return
        if not self.transport.is_closing():
            self.transport.close()


def protocol_with(idle_timeout_s: float) -> type[Any]:
    """The protocol class with the given idle timeout, for uvicorn's `http` option."""
    return type("IdleTimeout", (IdleTimeoutProtocol,), {"idle_timeout_s": idle_timeout_s})
