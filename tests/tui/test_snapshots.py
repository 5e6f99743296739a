"""Snapshots at 80×24: overview and model on a small workspace, the investigation on the demo.

The demo's history ends at a fixed instant and the clock is fixed, so the
slices, requests, latency, timeline and correlation screens are deterministic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.config import Context, embedded_context
from console.tui.views import ViewArgs
from tests.tui.helpers import make_app, settle
from tests.tui.workspace import build_workspace

SNAPSHOT_VIEWS = ("slices", "slice-requests", "latency", "timeline", "correlation")


@pytest.fixture(scope="module")
def workspace_context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return embedded_context(build_workspace(tmp_path_factory.mktemp("snap") / "w"))


def test_overview_snapshot(snap_compare, workspace_context: Context) -> None:
    app = make_app(workspace_context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_model_snapshot(snap_compare, workspace_context: Context) -> None:
    async def open_fraud(pilot) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)

    app = make_app(workspace_context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_fraud)


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo", read_only=True)


def opening(name: str, *keys: str, **args: Any) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A `run_before` that opens a view on the demo, waits for its numbers, then presses keys."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.open_view(name, ViewArgs(model="fraud-detector", **args))
        await until_loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await until_loaded(pilot)

    return run_before


async def until_loaded(pilot: Pilot[Any]) -> None:
    """Wait until the visible screen has computed its numbers."""
    for _ in range(600):
        await settle(pilot)
        if getattr(pilot.app.screen, "loaded_at", None) is not None:
            await pilot.pause()
            return
        await pilot.pause(0.05)


@pytest.mark.parametrize(
    ("view", "keys", "args"),
    [
        ("slices", (), {"window": "24h"}),
        ("slices", ("enter",), {"window": "24h"}),
        ("latency", (), {"window": "24h"}),
        ("timeline", (), {}),
        ("correlation", (), {}),
    ],
    ids=list(SNAPSHOT_VIEWS),
)
def test_investigation_snapshot(
    snap_compare, demo: Context, view: str, keys: tuple[str, ...], args: dict[str, str]
) -> None:
    app = make_app(demo, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=opening(view, *keys, **args))


def test_latency_snapshot_without_colour(
    snap_compare, demo: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo, refresh_s=3600)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=opening("latency", window="24h"))


def test_snapshots_are_stored(request: pytest.FixtureRequest) -> None:
    folder = Path(request.path).parent / "__snapshots__" / "test_snapshots"
    names = [f"test_investigation_snapshot[{view}].svg" for view in SNAPSHOT_VIEWS]
    assert {p.name for p in folder.glob("*.svg")} >= {
        "test_overview_snapshot.svg",
        "test_model_snapshot.svg",
        "test_latency_snapshot_without_colour.svg",
        *names,
    }
