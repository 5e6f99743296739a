"""Audit records for every gate decision and step: who, where, what, before, after, outcome."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from runbooks.engine.environment import Environment

SECRET = re.compile(r"(token|secret|password|passwd|api[_-]?key|credential|auth)", re.I)
REDACTED = "***"


def redact(value: Any) -> Any:
    """A copy with the value of every secret-looking key replaced by ***."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if SECRET.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def record(
    env: Environment,
    *,
    runbook: str,
    run_id: str,
    step: str,
    action: str,
    params: Mapping[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    outcome: str,
    duration_s: float,
) -> None:
    """Append one record to the context's IncidentStore; the store chains it by hash."""
    env.get("incidents").append_audit(
        {
            "at": datetime.now(UTC),
            "user": env.user,
            "host": env.host,
            "context": env.context,
            "runbook": runbook,
            "run_id": run_id,
            "step": step,
            "action": action,
            "params": _plain(redact(params)),
            "before": _plain(redact(before)),
            "after": _plain(redact(after)),
            "outcome": outcome,
            "duration_s": round(float(duration_s), 6),
        }
    )


def _plain(value: Any) -> Any:
    """JSON-ready values only, so the store can hash them the same way every time."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)
