"""Reading a request body under a size limit, so a huge body cannot exhaust memory."""

from __future__ import annotations

from starlette.requests import Request

from local_serving.protocol.v2 import ProtocolError


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it (or its Content-Length) exceeds `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(413, f"request body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
