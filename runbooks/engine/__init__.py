"""The runbook engine: the policy gate, execution with persisted state, audit, plan and revert."""

from __future__ import annotations

from runbooks.engine.control import RunControl
from runbooks.engine.environment import Confirmer, Environment, RunAborted, RunbookRefused
from runbooks.engine.runner import PlanLine, Runner, RunResult

__all__ = [
    "Confirmer",
    "Environment",
    "PlanLine",
    "RunAborted",
    "RunControl",
    "RunResult",
    "RunbookRefused",
    "Runner",
]
