"""Audit records for every gate decision and step, and the heads of the chain kept outside it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backends.audit_chain import Anchor
from runbooks.engine.environment import Environment

if TYPE_CHECKING:
    from backends.contracts import AuditRecord

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
) -> AuditRecord:
    """Append one record to the context's IncidentStore; the store chains it by hash."""
    written: AuditRecord = env.get("incidents").append_audit(
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
    return written


def _plain(value: Any) -> Any:
    """JSON-ready values only, so the store can hash them the same way every time."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Anchors:
    """The heads of the audit chain recorded outside it, where they came from, and bad ones."""

    found: list[Anchor]
    run_files: int
    admin_entries: int
    unreadable: list[str]


def anchors(state_dir: Path, admin_log: Path | None) -> Anchors:
    """Every recorded head: one per run state file, one per admin-log change that carried it."""
    from backends.audit_chain import parse_head
    from runbooks.engine.state import list_runs

    found: list[Anchor] = []
    unreadable: list[str] = []
    runs = [run for run in list_runs(state_dir) if run.audit_head]
    for run in runs:
        try:
            found.append(parse_head(run.audit_head, f"run {run.run_id} (state file)"))
        except ValueError as error:
            unreadable.append(str(error))
    entries = 0
    if admin_log is not None and admin_log.is_file():
        try:
            lines = admin_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as error:
            unreadable.append(f"{admin_log}: {error.strerror}")
            lines = []
        for number, line in enumerate(lines, 1):
            try:
                head = json.loads(line).get("audit_head")
            except (ValueError, AttributeError):
                continue
            if head is None:
                continue
            entries += 1
            try:
                found.append(parse_head(str(head), f"{admin_log.name} line {number}"))
            except ValueError as error:
                unreadable.append(str(error))
    return Anchors(found, len(runs), entries, unreadable)
