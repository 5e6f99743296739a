"""Write the three-models dataset into a real embedded workspace, through its write API."""

from __future__ import annotations

from pathlib import Path

from backends.embedded import EmbeddedBackend
from tests.datasets.three_models import write_three_models


def build_workspace(path: Path) -> Path:
    """An embedded workspace with the same models, traffic, metrics and incidents as in memory."""
    backend = EmbeddedBackend(path)
    try:
        write_three_models(backend)
    finally:
        backend.close()
    return path
