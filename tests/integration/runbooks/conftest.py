"""Fixtures: a private copy of the demo workspace with local_serving running on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runbook_live import DEMO_SPLIT, Live, copy_workspace, start, stop


@pytest.fixture(scope="module")
def live(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """local_serving on a copy of the demo workspace, for one test module."""
    workspace = copy_workspace(demo_workspace, tmp_path_factory.mktemp("runbooks") / "ws")
    running = start(workspace)
    yield running
    stop(running)


@pytest.fixture
def demo_split(live: Live) -> Live:
    """The live server with the demo's split (v2 90 %, v3 10 %) restored before the test."""
    if live.weights() != DEMO_SPLIT:
        live.set_weights(DEMO_SPLIT)
    return live
