"""What the handlers share: the models, metrics, recorder, tokens and options."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:
    from local_serving.admin import Tokens
    from local_serving.admin.audit import AdminAudit
    from local_serving.http.codec import Codec
    from local_serving.metrics.serving import ServingMetrics
    from local_serving.models import ModelManager
    from local_serving.options import ServeOptions
    from local_serving.recorder import Recorder


@dataclass
class ServerState:
    """The server's parts, built once before it starts accepting requests."""

    options: ServeOptions
    manager: ModelManager
    metrics: ServingMetrics
    recorder: Recorder
    tokens: Tokens
    audit: AdminAudit
    runtime_versions: dict[str, str]
    codec: Codec
    background: set[asyncio.Task[None]] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _prefix: str = field(default_factory=lambda: f"{os.getpid():x}-{secrets.token_hex(3)}-")

    def request_id(self) -> str:
        """A unique id for a request that brought none (cheap: a prefix and a counter)."""
        return f"{self._prefix}{next(self._ids)}"


def error_response(
    status: int, message: str, fields: Mapping[str, object] | None = None
) -> Response:
    """`{"error": ...}` with a status (the V2 error shape), plus any extra `fields`."""
    body = json.dumps({"error": message, **(fields or {})})
    return Response(body, status, media_type="application/json")


def json_response(document: object, status: int = 200) -> Response:
    """A compact JSON response."""
    body = json.dumps(document, separators=(",", ":"), default=str)
    return Response(body, status, media_type="application/json")
