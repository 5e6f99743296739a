"""End to end: the real `vigil demo` binary in tmux, keys only.

Overview → model → drift, slices, latency and timeline of fraud-detector,
reading each screen, then q exits 0.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.tmux import TmuxSession, clean_env

DEMO_MODELS = ("fraud-detector", "eta-regressor", "churn-classifier")
INVESTIGATION: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("d", lambda text: "› drift" in text and "amount" in text and "PSI" in text, "drift"),
    (
        "s",
        lambda text: "› slices" in text and "device_type=tablet" in text and "SUPPORT" in text,
        "the slices screen with the tablet slice",
    ),
    (
        "l",
        lambda text: "feature_fetch is OVER its budget" in " ".join(text.split()),
        "the latency screen with feature_fetch over budget",
    ),
    (
        "t",
        lambda text: "moved first (*): the model layer" in " ".join(text.split()),
        "the timeline with the deploy marked as the first move",
    ),
)


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
        session.keys("Escape")
        session.wait_for(
            lambda text: "MODEL" in text and "Lineage" not in text,
            timeout_s=30,
            what="back on the overview",
        )
        session.keys("j", "j", "Enter")
        session.wait_for(
            lambda text: "overview › fraud-detector" in text and "Lineage" in text,
            timeout_s=30,
            what="the model screen of fraud-detector",
        )
        for key, check, what in INVESTIGATION:
            session.keys(key)
            screen = session.wait_for(check, timeout_s=90, what=what)
            assert "Traceback" not in screen
            session.keys("Escape")
            session.wait_for(
                lambda text: "Lineage" in text, timeout_s=30, what="back on the model screen"
            )
        session.keys("q")
        session.wait_for(lambda text: "VIGIL_EXIT=0" in text, timeout_s=30, what="vigil to exit 0")
    finally:
        session.close()
