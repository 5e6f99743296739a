"""Test data built in the in-memory backend (entry point `memory`), and a context over it.

Each dataset writes its models, traffic, metrics, log rows and incidents
through the backend's own write API, so the tests read them back the way the
console reads any backend. Faults are injected on the backend
(`backend.fail("metrics")`), not with a second fake.
"""

from __future__ import annotations

from backends.memory import MemoryBackend
from console.config import ROLES, BackendSpec, Context


def memory_context(name: str = "test", default_model: str | None = None) -> Context:
    """A console Context whose every role is one in-memory backend, created from its entry point."""
    spec = BackendSpec("memory")
    return Context(name, {role: spec for role in ROLES}, default_model=default_model)


def memory_backend(context: Context) -> MemoryBackend:
    """The one in-memory backend behind every role of `context`."""
    backend = context.backend("registry")
    assert isinstance(backend, MemoryBackend), f"{context.name} is not a memory context"
    return backend
