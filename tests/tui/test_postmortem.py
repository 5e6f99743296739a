"""The postmortem screen on the demo: the CLI's Markdown, generated in-process, saved by `w`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.config import Context, embedded_context
from console.tui.screens.postmortem import PostmortemScreen
from console.tui.views import ViewArgs
from console.tui.widgets.inputs import ClosableInput
from tests.tui.helpers import make_app, screen_text, settle

MODEL = "fraud-detector"


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo", read_only=True)


def no_subprocess(*args: Any, **kwargs: Any) -> Any:
    """The console generates the postmortem itself: starting a process is a failure."""
    raise AssertionError(f"a subprocess was started: {args!r}")


async def test_the_postmortem_screen_shows_what_the_cli_prints_and_writes_it(
    demo: Context,
    demo_workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    capsys.readouterr()
    assert main(["--workspace", str(demo_workspace), "postmortem", "--model", MODEL]) == 0
    printed = capsys.readouterr().out
    monkeypatch.setattr(subprocess, "run", no_subprocess)
    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_view("postmortem", ViewArgs(model=MODEL))
        for _ in range(600):
            await settle(pilot)
            if getattr(app.screen, "loaded_at", None) is not None:
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, PostmortemScreen)
        assert screen.error == "", screen.error
        assert screen.markdown == printed
        assert screen.focused is screen.query_one("#postmortem-body"), "keys reach the screen"
        await pilot.press("w")
        await pilot.pause()
        box = screen.query_one("#postmortem-ask", ClosableInput)
        assert box.has_focus, screen.focused
        box.value = str(tmp_path / "pm.md")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "pm.md").read_text(encoding="utf-8") == printed
        said = [note.message for note in app._notifications]
        assert any(m.startswith("postmortem written to") for m in said), said


async def test_an_unknown_model_says_so_on_the_screen(demo: Context) -> None:
    app = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(PostmortemScreen(app.settings, ViewArgs(model="no-such-model")))
        for _ in range(400):
            await pilot.pause(0.02)
            screen = app.screen
            if isinstance(screen, PostmortemScreen) and screen.error:
                break
        screen = app.screen
        assert isinstance(screen, PostmortemScreen)
        assert "no-such-model" in screen.error
        assert "✗" in screen_text(app) and app.is_running
