"""The Starlette application: KServe V2 endpoints, admin API and /metrics."""

from __future__ import annotations

from local_serving.http.app import build_app
from local_serving.http.state import ServerState

__all__ = ["ServerState", "build_app"]
