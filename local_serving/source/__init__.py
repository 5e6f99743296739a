"""Where the server finds its models and writes what it records: a small interface.

`EmbeddedWorkspace` reads a Vigil workspace through the embedded backend;
`MemoryWorkspace` holds models and records in memory (tests, benchmarks).
"""

from __future__ import annotations

from local_serving.source.base import InputLayout, ModelEntry, VersionEntry, Workspace
from local_serving.source.memory import MemoryWorkspace

__all__ = ["InputLayout", "MemoryWorkspace", "ModelEntry", "VersionEntry", "Workspace"]
