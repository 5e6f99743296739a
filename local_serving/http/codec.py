"""Request decoding and answer encoding: on the event loop when small, in a helper when large.

Parsing a multi-megabyte JSON body, or writing one, holds the GIL for tens to hundreds
of milliseconds, so a thread would not help: a body over `LARGE_BODY_BYTES`, or an
answer of more than `LARGE_ANSWER_VALUES` values, goes to one worker process (started
on first use), and the event loop keeps answering health checks and small requests.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

from local_serving.protocol.v2 import InferRequest, ProtocolError, decode_request, encode_response

if TYPE_CHECKING:
    import numpy as np

    from local_serving.protocol.tensors import TensorSpec

log = logging.getLogger("local_serving")
LARGE_BODY_BYTES = 512 * 1024
LARGE_ANSWER_VALUES = 20_000
Result = TypeVar("Result")


class Codec:
    """Decodes bodies under the server's value policy and encodes answers, large ones off-loop."""

    def __init__(
        self,
        allow_non_finite: bool,
        large_body_bytes: int = LARGE_BODY_BYTES,
        large_answer_values: int = LARGE_ANSWER_VALUES,
    ) -> None:
        """No process yet: it starts with the first large body or answer."""
        self.allow_non_finite = allow_non_finite
        self.large_body_bytes = large_body_bytes
        self.large_answer_values = large_answer_values
        self._pool: ProcessPoolExecutor | None = None

    async def decode(self, body: bytes, header_length: int | None) -> InferRequest:
        """The decoded request, or a ProtocolError (503 if the helper process died)."""
        if len(body) <= self.large_body_bytes:
            return decode_request(body, header_length, self.allow_non_finite)
        return await self._offload(decode_request, body, header_length, self.allow_non_finite)

    async def encode(
        self,
        model: str,
        version: str,
        request_id: str,
        outputs: list[tuple[TensorSpec, np.ndarray, bool]],
    ) -> tuple[bytes, int | None]:
        """The answer's body and binary header length (see `encode_response`)."""
        values = sum(array.size for _, array, binary in outputs if not binary)
        if values <= self.large_answer_values:
            return encode_response(model, version, request_id, outputs)
        return await self._offload(encode_response, model, version, request_id, outputs)

    async def _offload(self, work: Callable[..., Result], *args: object) -> Result:
        """Run `work(*args)` in the helper process, starting (or restarting) it as needed."""
        pool = self._pool
        if pool is None:
            pool = self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, work, *args)
        except BrokenProcessPool:
            log.error("the codec helper process stopped; starting a new one")
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise ProtocolError(503, "the request decoder restarted; retry the request") from None

    def close(self) -> None:
        """Stop the helper process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _ignore_interrupts() -> None:
    """In the helper: Ctrl-C is the server's to handle (it stops the helper), not a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
