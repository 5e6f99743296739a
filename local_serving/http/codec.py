"""Request decoding on the event loop for small bodies, in a helper process for large ones.

Parsing a multi-megabyte JSON body holds the GIL for a tenth of a second or more, so a
thread would not help: a body over `LARGE_BODY_BYTES` goes to one worker process
(started on first use), and the event loop keeps answering health checks and small
requests meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from local_serving.protocol.v2 import InferRequest, ProtocolError, decode_request

log = logging.getLogger("local_serving")
LARGE_BODY_BYTES = 512 * 1024


class Decoder:
    """Decodes inference bodies under the server's value policy, large ones off the loop."""

    def __init__(self, allow_non_finite: bool, large_body_bytes: int = LARGE_BODY_BYTES) -> None:
        """No process yet: it starts with the first large body."""
        self.allow_non_finite = allow_non_finite
        self.large_body_bytes = large_body_bytes
        self._pool: ProcessPoolExecutor | None = None

    async def decode(self, body: bytes, header_length: int | None) -> InferRequest:
        """The decoded request, or a ProtocolError (503 if the helper process died)."""
        if len(body) <= self.large_body_bytes:
            return decode_request(body, header_length, self.allow_non_finite)
        pool = self._pool
        if pool is None:
            pool = self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                pool, decode_request, body, header_length, self.allow_non_finite
            )
        except BrokenProcessPool:
            log.error("the request decoder process stopped; starting a new one")
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise ProtocolError(503, "the request decoder restarted; retry the request") from None

    def close(self) -> None:
        """Stop the helper process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
