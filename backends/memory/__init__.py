"""The in-memory backend: every contract of `backends/contracts.py`, nothing on disk.

Registered as the `memory` entry point. It is the one backend tests build
their data in (through its write API) and inject faults into: `fail(role)`
makes every call of that role raise `BackendError`, as a down server would,
and `gauge` answers metric queries from a function instead of stored points.
`changes` lists every mutating call in order. It passes the contract suite
like any other backend, and is handy for trying a config without a workspace.
"""

from __future__ import annotations

from typing import ClassVar

from backends.discovery import Option
from backends.memory.base import ROLES
from backends.memory.incidents import MemoryIncidents
from backends.memory.log import MemoryLog
from backends.memory.metrics import MemoryMetrics
from backends.memory.retrain import MemoryRetrain
from backends.memory.serving import MemoryServing

__all__ = ["ROLES", "MemoryBackend"]


class MemoryBackend(MemoryServing, MemoryRetrain, MemoryMetrics, MemoryLog, MemoryIncidents):
    """Registry, metrics, features, inference log, serving, retraining and incidents in memory."""

    OPTIONS: ClassVar[tuple[Option, ...]] = ()

    def close(self) -> None:
        """Nothing to release; here so callers can close any backend alike."""
