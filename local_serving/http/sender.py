"""Who may post inference: programs, not web pages, and only JSON or binary tensor bodies.

A browser adds `Origin` to every POST and can send `text/plain` (or form) bodies
without asking first, so any page could post traffic that poisons drift and the log.
Requests with an `Origin` are refused; a Content-Type, when given, must be JSON or the
binary extension's octet stream (tritonclient sends none, and a page cannot send a
request without one and without `Origin`).
"""

from __future__ import annotations

from starlette.datastructures import Headers

from local_serving.protocol.v2 import ProtocolError

ACCEPTED_TYPES = ("application/json", "application/octet-stream")
HEADER_LENGTH = "inference-header-content-length"


def check_sender(headers: Headers) -> int | None:
    """Refuse web pages and other body types; returns the binary extension's JSON length."""
    if "origin" in headers:
        raise ProtocolError(403, "requests from web pages (with an Origin header) are refused")
    content_type = headers.get("content-type")
    if content_type is not None:
        media = content_type.partition(";")[0].strip().lower()
        if media not in ACCEPTED_TYPES:
            raise ProtocolError(
                415,
                f"Content-Type {media[:60]!r} is not accepted: send application/json "
                "(or application/octet-stream with Inference-Header-Content-Length)",
            )
    header_length = headers.get(HEADER_LENGTH)
    if header_length is None:
        return None
    if not (header_length.isascii() and header_length.isdigit()) or len(header_length) > 12:
        raise ProtocolError(400, "Inference-Header-Content-Length must be a decimal integer")
    return int(header_length)
