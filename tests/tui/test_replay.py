"""Replay on the demo: stepping from before the deploy shows the canary, the drift, the alert.

Every instant comes from the demo's own incident plan (console/demo/incident.py);
the steps are the registry's replay keys, so the story is what an engineer sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backends.embedded import EmbeddedBackend
from console.config import Context, embedded_context
from console.demo.incident import SHIFTED_FEATURE, SLICE, IncidentPlan, timeline
from console.demo.spec import DemoSpec
from console.services.clock import iso_minute
from console.tui.screens.drift import DriftScreen
from console.tui.screens.help import HelpScreen
from console.tui.screens.overview import OverviewScreen
from console.tui.screens.runs import started_by
from console.tui.screens.timeline import TimelineScreen
from console.tui.widgets.table import VigilTable
from tests.tui.helpers import make_app, screen_text, settle

PLAN = IncidentPlan.for_spec(DemoSpec())
MODEL = "fraud-detector"
SLICE_WORDS = f"{SLICE['column']}={SLICE['value']}"
FIVE_MINUTES = timedelta(minutes=5)
HOUR = timedelta(hours=1)
ACCURACY_ALERT = next(e for e in timeline(PLAN) if "AccuracyDrop" in e.summary)


@pytest.fixture
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo")


def row_of(app: Any, selector: str, key: str) -> list[str]:
    """The cells of the row whose first cell is `key`."""
    table = app.screen.query_one(selector, VigilTable)
    for index in range(table.row_count):
        cells = [str(c).strip() for c in table.get_row_at(index)]
        if cells[0] == key:
            return cells
    raise AssertionError(f"no row {key!r} in {selector}")


async def shown(pilot: Any, screen_type: type, ready: str = "loaded_at") -> Any:
    """Settle until the visible screen is `screen_type` with its data read."""
    for _ in range(200):
        await settle(pilot)
        screen = pilot.app.screen
        has_data = isinstance(screen, screen_type) and getattr(screen, ready, None) is not None
        if has_data and (not isinstance(screen, DriftScreen) or screen.result is not None):
            return screen
        await pilot.pause(0.05)
    raise AssertionError(f"{screen_type.__name__} never showed its data")


async def command(pilot: Any, text: str) -> None:
    """Type a `:` command and run it."""
    await pilot.press("colon")
    await pilot.press(*text)
    await pilot.press("enter")


def headless(workspace: Path, at: datetime, slice_words: str) -> dict[str, Any]:
    """The shifted feature's row as `vigil --at T drift ... --json` prints it."""
    command = [str(Path(sys.executable).with_name("vigil")), "--workspace", str(workspace)]
    command += ["--at", iso_minute(at), "drift", "--model", MODEL, "--window", "6h"]
    command += ["--slice", slice_words, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)
    features: list[dict[str, Any]] = json.loads(done.stdout)["features"]
    return next(f for f in features if f["feature"] == SHIFTED_FEATURE)


def amount_band(app: Any) -> str:
    """The drift band of the shifted feature on the visible drift screen."""
    return row_of(app, "#drift-table", SHIFTED_FEATURE)[3]


async def test_stepping_through_the_incident_shows_canary_then_drift_then_accuracy_alert(
    demo: Context, demo_workspace: Path
) -> None:
    app = make_app(demo, at=PLAN.deploy_at - FIVE_MINUTES)
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot, OverviewScreen, "overview")
        text = screen_text(app)
        assert f"REPLAY {iso_minute(PLAN.deploy_at - FIVE_MINUTES)} (read-only)" in text
        before = row_of(app, "#models", MODEL)
        assert "v3" not in before[1] and before[4] == "none"

        await pilot.press("full_stop")  # five minutes later: the deploy
        await shown(pilot, OverviewScreen, "overview")
        after = row_of(app, "#models", MODEL)
        assert app.settings.replay_at == PLAN.deploy_at
        assert "v3:10" in after[1] and after[4] == "v3 at 10 %"
        assert f"REPLAY {iso_minute(PLAN.deploy_at)} (read-only)" in screen_text(app)

        await command(pilot, f"at {iso_minute(PLAN.drop_at)}")
        await command(pilot, f"drift {MODEL} 6h {SLICE_WORDS}")
        drift = await shown(pilot, DriftScreen)
        assert drift.result.end == PLAN.drop_at  # the window ends at the instant
        assert amount_band(app) != "act"

        acted_at: datetime | None = None
        for _ in range(int((PLAN.end - PLAN.drop_at) / HOUR)):
            await pilot.press("greater_than_sign")  # an hour later
            drift = await shown(pilot, DriftScreen)
            if amount_band(app) == "act":
                acted_at = app.settings.replay_at
                break
        assert acted_at is not None and PLAN.drop_at < acted_at < ACCURACY_ALERT.at
        assert drift.result.end == acted_at
        twin = f"vigil --at {iso_minute(acted_at)} drift --model {MODEL} --window 6h"
        assert twin in screen_text(app)  # the headless twin prints the same numbers
        printed = headless(demo_workspace, acted_at, SLICE_WORDS)
        on_screen = next(f for f in drift.result.table.features if f.feature == SHIFTED_FEATURE)
        assert printed["psi"] == pytest.approx(on_screen.psi) and printed["status"] == "act"

        await command(pilot, f"timeline {MODEL}")
        await shown(pilot, TimelineScreen, "view")
        assert "AccuracyDrop" not in screen_text(app)
        while app.settings.replay_at < ACCURACY_ALERT.at:
            await pilot.press("greater_than_sign")
            await shown(pilot, TimelineScreen, "view")
        assert "AccuracyDrop" in screen_text(app)

        await pilot.press("N")  # leave: live again, the banner gone
        await shown(pilot, TimelineScreen, "view")
        assert app.settings.replay_at is None
        assert "REPLAY" not in screen_text(app)


async def test_replay_refuses_quick_actions_with_the_reason_and_changes_nothing(
    demo: Context, demo_workspace: Path
) -> None:
    backend = EmbeddedBackend(demo_workspace)
    before = backend.status(MODEL).weights
    app = make_app(demo, at=PLAN.drop_at)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = await shown(pilot, OverviewScreen, "overview")
        for _ in range(100):
            if overview.action_states is not None:
                break
            await pilot.pause(0.05)
        state = overview.action_states["rollback"]
        assert state.offered and "replay is read-only" in state.disabled
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
    assert backend.status(MODEL).weights == before
    backend.close()


async def test_replay_keys_are_in_help_only_while_replaying(demo: Context) -> None:
    app = make_app(demo, at=PLAN.drop_at)
    async with app.run_test(size=(100, 60)) as pilot:
        await shown(pilot, OverviewScreen, "overview")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = str(app.screen.query_one("#help-body").render())
        assert "[replay.back]" in body and "[replay.forward_hour]" in body
        await pilot.press("escape")
        await command(pilot, "at now")
        await shown(pilot, OverviewScreen, "overview")
        assert app.settings.replay_at is None
        await pilot.press("question_mark")
        await pilot.pause()
        assert "[replay.back]" not in str(app.screen.query_one("#help-body").render())


async def test_bad_at_input_is_a_message_and_the_instant_stays(demo: Context) -> None:
    app = make_app(demo, at=PLAN.drop_at)
    async with app.run_test(size=(100, 30)) as pilot:
        await shown(pilot, OverviewScreen, "overview")
        await command(pilot, "at yesterday-ish")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("not an instant" in m for m in messages)
        await command(pilot, "at 2999-01-01T00:00Z")
        await pilot.pause()
        assert any("in the future" in n.message for n in app._notifications)
        assert app.settings.replay_at == PLAN.drop_at
        await command(pilot, "at -1h")  # relative to the instant shown
        await shown(pilot, OverviewScreen, "overview")
        assert app.settings.replay_at == PLAN.drop_at - HOUR


def test_replay_overview_snapshot_without_colour(
    snap_compare: Any, demo: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header says REPLAY, the instant and read-only in words: NO_COLOR loses nothing."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo, at=PLAN.deploy_at, refresh_s=3600)

    async def replayed(pilot: Any) -> None:
        overview = await shown(pilot, OverviewScreen, "overview")
        for _ in range(100):
            if overview.action_states is not None:
                break
            await pilot.pause(0.05)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=replayed)


def test_the_runs_of_a_replay_are_those_started_by_the_instant() -> None:
    assert started_by(iso_minute(PLAN.deploy_at), PLAN.deploy_at)
    assert not started_by((PLAN.deploy_at + FIVE_MINUTES).isoformat(), PLAN.deploy_at)
    assert started_by("", PLAN.deploy_at)  # no readable time: kept rather than hidden
