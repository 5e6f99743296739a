"""End to end: the real `vigil demo` binary in tmux — overview, Enter → model screen, q exits."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.tui.tmux import TmuxSession, clean_env

DEMO_MODELS = ("fraud-detector", "eta-regressor", "churn-classifier")


@pytest.mark.slow
def test_vigil_demo_in_tmux(demo_workspace: Path, tmp_path: Path) -> None:
    vigil = str(Path(sys.executable).parent / "vigil")
    session = TmuxSession(socket=f"vigil-test-{os.getpid()}")
    session.start(
        [vigil, "demo", "--workspace", str(demo_workspace), "--no-serve"],
        clean_env(str(tmp_path)),
        (100, 30),
    )
    try:
        session.wait_for(
            lambda text: all(model in text for model in DEMO_MODELS) and " %" in text,
            timeout_s=60,
            what="the overview with the three demo models and their numbers",
        )
        session.keys("Enter")
        screen = session.wait_for(
            lambda text: "overview › churn-classifier" in text and "Lineage" in text,
            timeout_s=30,
            what="the model screen of the first model",
        )
        assert "Versions" in screen
        session.keys("q")
        session.wait_for(lambda text: "VIGIL_EXIT=0" in text, timeout_s=30, what="vigil to exit 0")
    finally:
        session.close()
