"""The Prometheus HTTP API (Thanos, Mimir, VictoriaMetrics too): queries; BackendError."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from backends.contracts import BackendError

if TYPE_CHECKING:
    import httpx

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration: str) -> float:
    """A Prometheus duration (`15s`, `1m30s`) in seconds; ValueError when it is not one."""
    parts = _DURATION.findall(duration.strip())
    if not parts or "".join(a + b for a, b in parts) != duration.strip():
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(float(amount) * _UNIT_S[unit] for amount, unit in parts)


class PrometheusHttp:
    """GETs on `/api/v1/...` with a timeout and an optional bearer token from the environment."""

    def __init__(self, url: str, token_env: str | None, timeout_s: float) -> None:
        """Remember the server and where its token is."""
        self.url = url.rstrip("/")
        self.token_env = token_env
        self.timeout_s = timeout_s
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        """A pooled client, created on first use."""
        import httpx

        if self._client is None:
            token = os.environ.get(self.token_env, "").strip() if self.token_env else ""
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._client = httpx.Client(base_url=self.url, timeout=self.timeout_s, headers=headers)
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, endpoint: str, **params: Any) -> Any:
        """The `data` of one answer; failures name the server and reason, never the token."""
        import httpx

        try:
            answer = self._http().get(f"/api/v1/{endpoint}", params=params)
        except httpx.TimeoutException as error:
            raise BackendError(
                f"prometheus {self.url}: no answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise BackendError(
                f"prometheus {self.url}: {type(error).__name__}: cannot reach"
            ) from error
        if answer.status_code in (401, 403):
            raise BackendError(
                f"prometheus {self.url} refused the token (HTTP {answer.status_code})"
            )
        try:
            doc = answer.json()
        except ValueError:
            raise BackendError(
                f"prometheus {self.url}: HTTP {answer.status_code}, not JSON"
            ) from None
        if not isinstance(doc, dict) or doc.get("status") != "success":
            reason = doc.get("error") if isinstance(doc, dict) else None
            raise BackendError(f"prometheus {self.url}: {str(reason or answer.status_code)[:300]}")
        return doc.get("data")
