"""Snapshots of the overview and model screens on a deterministic embedded workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.config import Context, embedded_context
from tests.tui.helpers import make_app, settle
from tests.tui.workspace import build_workspace


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


def test_snapshots_are_stored(request: pytest.FixtureRequest) -> None:
    folder = Path(request.path).parent / "__snapshots__" / "test_snapshots"
    assert {p.name for p in folder.glob("*.svg")} >= {
        "test_overview_snapshot.svg",
        "test_model_snapshot.svg",
    }
