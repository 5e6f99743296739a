"""Fixtures: one workspace with real ONNX and Torch models, and a live server on it per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import Running, build_workspace, start_server, stop_server


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for the session (building Torch programs is slow); servers are per module."""
    return build_workspace(tmp_path_factory.mktemp("serving"))


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[Running]:
    """`python -m local_serving` on the workspace, every version loaded, every request logged."""
    running = start_server(
        workspace, "--all-versions", "--sample-rate", "1", "--flush-interval", "0.2"
    )
    yield running
    stop_server(running)
