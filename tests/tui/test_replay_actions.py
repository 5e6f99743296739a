"""Replay on the palette and the run screen: the step and leave actions, the banner, the reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from backends.embedded import EmbeddedBackend
from console.config import Context, embedded_context
from console.services.clock import iso_minute
from console.tui.palette import VigilCommands
from console.tui.screens.overview import OverviewScreen
from console.tui.screens.run import RunScreen
from console.tui.widgets.breadcrumbs import Breadcrumbs
from tests.datasets.three_models import DATA_END
from tests.tui.helpers import make_app, screen_text, settle
from tests.tui.workspace import build_workspace

MODEL = "fraud-detector"
AT = DATA_END - timedelta(minutes=30)
REPLAY_ACTIONS = (
    "Replay: show every view 5 minutes earlier",
    "Replay: show every view 5 minutes later",
    "Replay: show every view 1 hour earlier",
    "Replay: show every view 1 hour later",
    "Leave the replay: every view live again (as :at now)",
)


@pytest.fixture
def context(tmp_path: Path) -> Context:
    return embedded_context(build_workspace(tmp_path / "ws"), name="staging")


async def until(pilot: Any, ready: Any, what: str) -> None:
    """Settle until `ready()` holds (a deadline, not a fixed sleep: CI machines are slow)."""
    for _ in range(200):
        await settle(pilot)
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


def palette_titles(app: Any) -> dict[str, Any]:
    """The palette's entries on the visible screen, by title."""
    return {title: callback for title, _, callback in VigilCommands(app.screen).entries()}


async def test_the_palette_offers_the_replay_actions_only_while_replaying(context: Context) -> None:
    app = make_app(context, at=AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")
        offered = palette_titles(app)
        assert all(title in offered for title in REPLAY_ACTIONS), sorted(offered)
        await offered["Replay: show every view 1 hour earlier"]()
        await until(pilot, lambda: app.settings.replay_at == AT - timedelta(hours=1), "a step")
        await palette_titles(app)["Leave the replay: every view live again (as :at now)"]()
        await until(pilot, lambda: not app.settings.replaying, "live again")
        live = palette_titles(app)
        assert not [title for title in REPLAY_ACTIONS if title in live]
        assert "Open the command palette" in live  # the app's own actions are still offered


async def test_the_run_screen_shows_the_replay_banner_and_the_replays_reason(
    context: Context,
) -> None:
    backend = EmbeddedBackend(Path(str(context.workspace)))
    before = dict(backend.status(MODEL).weights)
    backend.close()
    app = make_app(context, at=AT, context_name="staging")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen), "the overview")
        await pilot.press("colon", *f"run rollback model={MODEL}", "enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, RunScreen) and app.screen.phase == "planned",
            "the plan",
        )
        text = screen_text(app)
        banner = f"REPLAY {iso_minute(AT)} (read-only)"
        assert banner in text, text
        assert f"replay is read-only (as of {iso_minute(AT)}): this plan is a dry run" in text
        run = app.screen
        assert isinstance(run, RunScreen)
        assert "live system" not in str(run.query_one("#run-note", Static).content)
        crumbs = app.screen.query_one(Breadcrumbs).crumbs
        assert crumbs[1] == "staging (read-only)" and crumbs[-1] == "rollback", crumbs
        lines = text.splitlines()
        assert lines.index(next(x for x in lines if banner in x)) == 1  # under the breadcrumbs
        await pilot.press("enter")  # try to run it: the gate refuses with the replay's reason
        await until(pilot, lambda: run.report is not None, "the refusal")
        report = run.report
        assert report is not None and report.status == "refused"
        assert report.reason.startswith(f"replay is read-only (as of {iso_minute(AT)})")
        assert not run.query_one("#run-log").display  # no step ran: no empty log box
    backend = EmbeddedBackend(Path(str(context.workspace)))
    try:
        assert dict(backend.status(MODEL).weights) == before
    finally:
        backend.close()
