"""The HTTP exchange Feast's servers share: one JSON request, its errors as BackendError."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from backends.contracts import BackendError, NotFoundError

if TYPE_CHECKING:
    import httpx


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    what: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """One request answered with a JSON object; a 404 is NotFoundError, anything else failed."""
    import httpx

    try:
        answer = client.request(method, url, params=params, json=body)
    except httpx.TimeoutException as error:
        raise BackendError(f"{what}: no answer within {client.timeout.read} s") from error
    except httpx.HTTPError as error:
        raise BackendError(f"{what}: {type(error).__name__}: cannot reach") from error
    try:
        doc = answer.json()
    except ValueError:
        doc = None
    if answer.status_code == 200 and isinstance(doc, dict):
        return doc
    detail = doc.get("detail") if isinstance(doc, dict) else answer.reason_phrase
    message = f"{what}: HTTP {answer.status_code}: {str(detail)[:300]}"
    raise NotFoundError(message) if answer.status_code == 404 else BackendError(message)


def parse_time(stamp: Any) -> datetime | None:
    """An RFC 3339 timestamp as UTC, or None."""
    try:
        parsed = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
