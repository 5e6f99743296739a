"""The footer tells the truth about Escape; an internal error never shows a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
