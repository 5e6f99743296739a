"""Snapshots at 80×24 of the runbooks screen, a plan, and the gate's confirmation modal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.config import Context, embedded_context
from console.tui.widgets.confirm import ConfirmModal
from tests.tui.helpers import make_app, settle
from tests.tui.workspace import build_workspace


@pytest.fixture
def snap_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    """The three models in a fresh workspace, a fixed context name, no user runbooks."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return embedded_context(build_workspace(tmp_path / "w"), name="snap")


async def until(pilot: Pilot[Any], check: Any) -> None:
    for _ in range(500):
        await pilot.pause(0.02)
        if check():
            await pilot.pause()
            return
    raise AssertionError("the screen never got there")


async def command(pilot: Pilot[Any], text: str) -> None:
    await settle(pilot)
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line", Input).value = text
    await pilot.press("enter")


def test_runbooks_snapshot(snap_compare: Any, snap_context: Context) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await command(pilot, "runbooks")
        await until(pilot, lambda: getattr(pilot.app.screen, "loaded_at", None) is not None)
        await pilot.press("j", "j", "j", "j")  # rollback

    app = make_app(snap_context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_plan_snapshot(snap_compare: Any, snap_context: Context) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await command(pilot, "run rollback model=fraud-detector")
        await until(pilot, lambda: getattr(pilot.app.screen, "phase", "") == "planned")

    app = make_app(snap_context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_confirmation_snapshot(snap_compare: Any, snap_context: Context) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await command(pilot, "run rollback model=fraud-detector")
        await until(pilot, lambda: getattr(pilot.app.screen, "phase", "") == "planned")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))

    app = make_app(snap_context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
