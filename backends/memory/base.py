"""The state every part of the in-memory backend shares: models, the clock, injected faults."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backends.contracts import BackendError, FeatureSpec, ModelVersion, NotFoundError

ROLES: tuple[str, ...] = (
    "registry",
    "metrics",
    "features",
    "inference_log",
    "serving",
    "retrain",
    "incidents",
)


@dataclass
class ModelEntry:
    """A registered model: what the registry knows about it, versions in registration order."""

    name: str
    task: str
    description: str = ""
    slo_p99_ms: float | None = None
    features: tuple[FeatureSpec, ...] = ()
    latency_budget_ms: dict[str, float] = field(default_factory=dict)
    versions: dict[str, ModelVersion] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


class MemoryState:
    """Shared state, one lock, and the faults injected per role."""

    def __init__(self) -> None:
        """An empty store on the wall clock, no role failing."""
        self._lock = threading.RLock()
        self._models: dict[str, ModelEntry] = {}
        self._faults: dict[str, BackendError] = {}
        self.now: Callable[[], datetime] = utc_now
        self.changes: list[str] = []

    def fail(self, role: str, message: str = "", error: type[BackendError] = BackendError) -> None:
        """Make every call of `role` raise `error(message)`, as a down backend would."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        self._faults[role] = error(message or f"{role} backend down")

    def heal(self, role: str | None = None) -> None:
        """Stop failing `role` (every role when None)."""
        if role is None:
            self._faults.clear()
        else:
            self._faults.pop(role, None)

    def _check(self, role: str) -> None:
        """Raise the fault injected for `role`, if any."""
        fault = self._faults.get(role)
        if fault is not None:
            raise type(fault)(*fault.args)

    def _entry(self, name: str) -> ModelEntry:
        """A registered model, or NotFoundError naming the known ones."""
        entry = self._models.get(name)
        if entry is None:
            known = ", ".join(sorted(self._models)) or "none"
            raise NotFoundError(f"no model {name!r} (known: {known})")
        return entry

    def _record(self, change: str, *details: Any) -> None:
        """Note a mutating call, so tests can see what changed and in which order."""
        self.changes.append(" ".join([change, *map(str, details)]))
