"""The footer tells the truth about Escape; an internal error never shows a traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, NoReturn

import pytest
from textual.pilot import Pilot

from console.config import Context, embedded_context
from tests.tui.helpers import make_app, screen_text, settle

SIZE = (160, 40)


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo", read_only=True)


def footer(pilot: Pilot[Any]) -> str:
    """The footer line as the terminal shows it."""
    return screen_text(pilot.app).rstrip("\n").splitlines()[-1]  # type: ignore[arg-type]


async def test_back_shows_only_where_escape_goes_somewhere(demo: Context) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.1)
        assert "esc back" not in footer(pilot), "the overview is the bottom of the history"
        overview = app.screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is overview and app.is_running
        overview.set_filter("fraud")  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        assert "esc back" in footer(pilot), "Escape clears the filter"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert overview.table_filter is None  # type: ignore[attr-defined]
        assert "esc back" not in footer(pilot)
        app.open_model("fraud-detector")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "esc back" in footer(pilot), "the model screen goes back to the overview"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.screen is overview
        assert "esc back" not in footer(pilot)


class Injected(RuntimeError):
    """The failure a test puts into a handler."""


def failing(what: str) -> Any:
    """A handler that raises."""

    def handler(self: Any, *args: Any) -> None:
        raise Injected(f"injected failure in {what}")

    return handler


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Vigil's log goes to a private state folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "vigil" / "vigil.log"


def notes(app: Any) -> list[str]:
    """The notifications raised."""
    return [note.message for note in app._notifications]


async def until(pilot: Pilot[Any], check: Any, what: str) -> None:
    """Wait until `check()` holds (a plain sleep: Pilot would wait on a screen that stopped)."""
    for _ in range(1500):
        await asyncio.sleep(0.02)
        if check():
            return
    raise AssertionError(f"never {what}:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]


async def test_a_failing_result_handler_closes_its_screen_and_says_one_line(
    demo: Context, state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.tui.screens.model import ModelScreen
    from console.tui.screens.timeline import TimelineScreen

    monkeypatch.setattr(TimelineScreen, "on_timeline_loaded", failing("the timeline's result"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_model("fraud-detector")
        await settle(pilot)
        model = app.screen
        assert isinstance(model, ModelScreen)
        app.open_view("timeline")
        await until(pilot, lambda: app.screen is model and notes(app), "back on the model")
        line = notes(app)[-1]
        assert line.startswith("internal error in timeline: Injected: injected failure in the")
        assert line.endswith(f"; details in {state_home}")
        logged = state_home.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in logged and "Injected" in logged
        assert "internal error in timeline" in logged
        await pilot.press("escape")  # the console goes on: back to the overview
        await settle(pilot)
        assert screen_text(app).splitlines()[0].strip().startswith("vigil")
        assert len(app.screen_stack) == 2 and app.is_running
    assert app.return_code in (None, 0)
    assert not app._exit_renderables, "no traceback printed on exit"


async def test_a_failing_action_and_a_failing_overview_keep_the_console(
    demo: Context, state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.tui.app import VigilApp
    from console.tui.screens.overview import OverviewScreen

    monkeypatch.setattr(VigilApp, "action_show_help", failing("help"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        overview = app.screen
        await pilot.press("question_mark")
        await until(pilot, lambda: bool(notes(app)), "a line")
        assert notes(app)[-1].startswith("internal error in overview: Injected: injected failure")
        assert app.screen is overview, "an action that raised stops nothing"
        loaded = OverviewScreen.on_overview_loaded
        calls: list[int] = []

        def once(self: Any, message: Any) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise Injected("injected failure in the overview")
            loaded(self, message)

        monkeypatch.setattr(OverviewScreen, "on_overview_loaded", once)
        await pilot.press("r")
        await until(
            pilot,
            lambda: isinstance(app.screen, OverviewScreen) and app.screen is not overview,
            "a new overview",
        )
        await until(pilot, lambda: getattr(app.screen, "overview", None) is not None, "rows")
        assert "injected failure in the overview" in notes(app)[-1]
        assert app.is_running
    assert state_home.read_text(encoding="utf-8").count("Traceback") == 2


async def test_an_overview_that_keeps_failing_ends_the_console_with_one_line(
    demo: Context, state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.tui.screens.overview import OverviewScreen

    monkeypatch.setattr(OverviewScreen, "on_overview_loaded", failing("the overview"))
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: not app.is_running, "the console ended")
    assert app.return_code == 1
    assert state_home.read_text(encoding="utf-8").count("Traceback") == 4


async def test_a_failing_app_handler_exits_with_one_line_and_no_traceback(
    demo: Context,
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from textual.message import Message

    from console.tui.app import VigilApp

    class Poke(Message):
        """A message the app handles."""

    monkeypatch.setattr(VigilApp, "on_poke", failing("the app"), raising=False)
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.post_message(Poke())
        await until(pilot, lambda: not app.is_running, "the console ended")
    assert app.return_code == 1
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "internal error in the console: Injected: injected failure in the app" in err, err
    assert "Traceback" in state_home.read_text(encoding="utf-8")


async def test_a_failing_worker_stops_nothing(demo: Context, state_home: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        overview = app.screen

        async def boom() -> NoReturn:
            raise Injected("injected failure in a worker")

        overview.run_worker(boom, group="injected")  # exit_on_error, Textual's default
        await until(pilot, lambda: bool(notes(app)), "a line")
        assert notes(app)[-1].startswith("internal error in overview: Injected: injected failure")
        assert app.screen is overview and app.is_running
        await pilot.press("j")  # still answering
    assert app.return_code in (None, 0)
    assert "injected failure in a worker" in state_home.read_text(encoding="utf-8")
