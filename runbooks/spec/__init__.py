"""The runbook format: typed dataclasses and a strict loader that names file, line and key."""

from __future__ import annotations

from runbooks.spec.loader import RunbookError, load_runbook, load_runbook_text
from runbooks.spec.model import MUTATING, STEP_TYPES, Parameter, Runbook, Step

__all__ = [
    "MUTATING",
    "STEP_TYPES",
    "Parameter",
    "Runbook",
    "RunbookError",
    "Step",
    "load_runbook",
    "load_runbook_text",
]
