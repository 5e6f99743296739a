"""Which quick actions a context offers follows what each runbook's steps need from its backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.contracts import (
    SupportsCompareAndSet,
    SupportsLoad,
    SupportsRegister,
    SupportsRollback,
    SupportsTrafficSplit,
)
from backends.memory import MemoryBackend
from console.services.runbook_session import action_states


class DefaultVersionServing(MemoryBackend):
    """A memory backend whose serving is TorchServe-like: a default version, loads, no split."""

    def capabilities(self) -> frozenset[type]:
        """Rollback (the default version), load and alias moves; no traffic split."""
        return frozenset({SupportsRollback, SupportsLoad, SupportsRegister})


class SplitOnlyServing(MemoryBackend):
    """A memory backend that sets splits but cannot load a version."""

    def capabilities(self) -> frozenset[type]:
        """Splits (compare-and-set too) and alias moves; no load."""
        return frozenset({SupportsTrafficSplit, SupportsCompareAndSet, SupportsRegister})


@dataclass
class FakeContext:
    """What `action_states` reads of a context: its name, read-only flag and backends by role."""

    backend_for_all: Any
    name: str = "test"
    read_only: bool = False
    workspace: Path | None = None
    missing: set[str] = field(default_factory=set)

    def backend(self, role: str) -> Any:
        """One backend for every role (but the missing ones)."""
        if role in self.missing:
            from console.config import ConfigError

            raise ConfigError(f"context {self.name!r} has no backend for {role!r}")
        return self.backend_for_all


def test_promote_is_offered_on_a_serving_with_a_default_version_and_no_split() -> None:
    states = action_states(FakeContext(DefaultVersionServing()))
    assert states["promote"].offered and not states["promote"].disabled
    assert states["rollback"].offered
    assert not states["weight"].offered
    assert states["weight"].disabled == "the serving backend cannot (needs SupportsTrafficSplit)"


def test_promote_needs_load_and_an_alias_move() -> None:
    states = action_states(FakeContext(SplitOnlyServing()))
    assert states["rollback"].offered and states["weight"].offered
    assert not states["promote"].offered
    assert states["promote"].disabled == "the serving backend cannot (needs SupportsLoad)"
    no_registry = action_states(FakeContext(MemoryBackend(), missing={"registry"}))
    assert no_registry["promote"].disabled == "no registry backend"
    assert no_registry["rollback"].offered, "a rollback moves no alias"


def test_every_action_is_offered_on_a_full_backend_and_disabled_read_only() -> None:
    states = action_states(FakeContext(MemoryBackend()))
    assert all(state.offered and not state.disabled for state in states.values())
    read_only = action_states(FakeContext(MemoryBackend(), read_only=True))
    assert all(read_only[name].disabled for name in ("rollback", "weight", "promote", "retrain"))
    assert not read_only["note"].disabled
