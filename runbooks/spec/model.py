"""What a loaded runbook is: parameters, steps and failure steps, already validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Risk = Literal["low", "medium", "high"]
RISKS: tuple[str, ...] = ("low", "medium", "high")
PARAM_TYPES: tuple[str, ...] = (
    "string",
    "integer",
    "number",
    "boolean",
    "duration",
    "version",
    "list",
    "weights",
)

STEP_TYPES: tuple[str, ...] = (
    "check",
    "confirm",
    "set_weights",
    "rollback",
    "promote",
    "load",
    "unload",
    "wait",
    "analysis",
    "retrain",
    "annotate",
    "notify",
)
MUTATING: frozenset[str] = frozenset(
    {"set_weights", "rollback", "promote", "load", "unload", "retrain"}
)
ROLLBACK_TIERS: Mapping[str, float] = {"immediate": 60.0, "rapid": 900.0, "delayed": 14400.0}


@dataclass(frozen=True)
class Parameter:
    """A typed runbook parameter: required, or with a default."""

    name: str
    type: str
    required: bool
    default: Any = None
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step: its type, a unique name and its (still templated) fields."""

    name: str
    type: str
    fields: Mapping[str, Any]
    line: int = 0

    @property
    def mutating(self) -> bool:
        """Whether the step changes the live system (and so passes the read-only gate)."""
        return self.type in MUTATING


@dataclass(frozen=True)
class Runbook:
    """A validated runbook, with the text it was loaded from (kept for resume)."""

    name: str
    description: str
    risk: Risk
    parameters: Mapping[str, Parameter]
    steps: tuple[Step, ...]
    on_failure: tuple[Step, ...]
    source: str
    text: str
    nonprod_only: bool = False
    doc: str = ""
    includes: tuple[str, ...] = field(default_factory=tuple)

    def all_steps(self) -> tuple[Step, ...]:
        """The steps and then the failure steps."""
        return self.steps + self.on_failure
