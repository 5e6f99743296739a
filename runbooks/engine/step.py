"""What a step execution gets (StepCall) and gives back (Outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runbooks.engine.environment import Environment


@dataclass
class Outcome:
    """How a step ended: ok, stored (not live), failed, finish (nothing left to do) or paused.

    `changed` holds what the step itself changed: `{"weights": {model: split}}`
    and `{"aliases": {model: {alias: version}}}`, so a restore undoes only that.
    """

    status: str
    message: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class StepCall:
    """Everything one step execution needs: the environment, its fields and the run."""

    env: Environment
    name: str
    runbook: str
    run_id: str
    model: str
    fields: dict[str, Any]
    snapshot: dict[str, Any]
    started_at: str | None = None
    changed: dict[str, Any] = field(default_factory=dict)
