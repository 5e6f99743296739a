"""Helpers for driving the app in tests: a settled pilot and the screen as plain text."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled

from console.services.clock import fixed_clock
from console.tui.app import VigilApp
from tests.datasets.three_models import NOW, three_models


def make_app(source: Any | None = None, **options: Any) -> VigilApp:
    """An app on the in-memory three models, the clock fixed and no live staleness tick.

    Reads get 120 s before a panel degrades: a loaded CI machine can take longer than the
    console's 10 s default for a first read (its imports), and these tests check content.
    """
    options.setdefault("clock", fixed_clock(NOW))
    options.setdefault("timeout_s", 120.0)
    options.setdefault("live_ticks", False)
    options.setdefault("context_name", "test")
    return VigilApp(source if source is not None else three_models(), **options)


async def settle(pilot: Pilot[Any], rounds: int = 200) -> None:
    """Let the visible screen's first read land and workers finish; superseded reads are fine."""
    for _ in range(rounds):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if getattr(pilot.app.screen, "loaded_at", True) is not None:
            await pilot.pause()
            await _tables_measured(pilot)
            return
        await pilot.pause(0.01)


async def _tables_measured(pilot: Pilot[Any], rounds: int = 200) -> None:
    """Wait until every table has measured its new rows (DataTable does it when idle).

    `pilot.pause()` judges idleness by CPU time, which a loaded machine fools, so a
    table could be read before its columns widened to its new cells.
    """
    for _ in range(rounds):
        pending = [
            table
            for table in pilot.app.screen.query(DataTable)
            if table._require_update_dimensions or table._updated_cells
        ]
        if not pending:
            return
        await pilot.pause(0.01)


def screen_text(app: VigilApp) -> str:
    """What the terminal shows, as plain text (no colour)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(app.screen._compositor.render_update(full=True))
    return capture.get()
