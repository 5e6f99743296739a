"""Every admin change, logged with who (the token name) and what, never the token."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("local_serving.admin")
AUDIT_FILE = "serving-admin.jsonl"


class AdminAudit:
    """Writes one JSON line per change to the log and, with a workspace, to a file."""

    def __init__(self, workspace: Path | None) -> None:
        """Audit into `workspace/serving-admin.jsonl` when a workspace is given."""
        self.path = workspace / AUDIT_FILE if workspace is not None else None
        self._lock = threading.Lock()

    def record(
        self,
        actor: str,
        action: str,
        model: str,
        detail: dict[str, Any],
        outcome: str,
        audit_head: str | None = None,
    ) -> None:
        """Log one change and append it; `audit_head` anchors the client's audit log here."""
        entry: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(),
            "actor": actor,
            "action": action,
            "model": model,
            "detail": detail,
            "outcome": outcome,
        }
        if audit_head is not None:
            entry["audit_head"] = audit_head
        line = json.dumps(entry, sort_keys=True, default=str)
        log.info("admin %s", line)
        if self.path is None:
            return
        with self._lock, self.path.open("a") as handle:
            handle.write(line + "\n")
