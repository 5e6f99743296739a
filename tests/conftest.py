"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo workspace (1M fraud-detector rows, the incident), built once per session."""
    from console.demo.build import build
    from console.demo.spec import DemoSpec

    path = tmp_path_factory.mktemp("demo")
    build(path, DemoSpec(), quiet=True)
    return path


@pytest.fixture(autouse=True)
def private_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test's console log (`$XDG_STATE_HOME/vigil/vigil.log`) goes to a folder of its own."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state
