"""The investigation on screen, on the demo workspace: the planted incident is found.

`device_type = tablet` tops the slices screen, Enter lists its requests in the
virtual table and `d` opens drift inside the slice; `feature_fetch` is over
budget on the latency screen; the timeline shows the deploy before the
accuracy drop; correlation pairs come with a plot. Each screen's cells are
compared with the CLI twin's numbers.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.analysis.latency import StageLatency
from console.analysis.slices import Predicate, SliceMetric
from console.cli import main
from console.config import Context, embedded_context
from console.services.latency_view import stage_cells
from console.services.slices_view import slice_cells
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable
from console.tui.widgets.virtual_table import VirtualTable
from tests.tui.helpers import make_app, screen_text, settle

SIZE = (120, 40)


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo", read_only=True)


async def open_view(pilot: Pilot[Any], name: str, **args: Any) -> Any:
    """Open a view through the app and wait until its numbers are on screen."""
    await settle(pilot)
    pilot.app.open_view(name, ViewArgs(**args))
    return await loaded(pilot)


async def loaded(pilot: Pilot[Any]) -> Any:
    """Wait for the visible screen's computation to land; the screen."""
    for _ in range(600):
        await settle(pilot)
        if getattr(pilot.app.screen, "loaded_at", None) is not None:
            await pilot.pause()
            return pilot.app.screen
        await pilot.pause(0.05)
    raise AssertionError(f"{pilot.app.screen!r} never loaded:\n{screen_text(pilot.app)}")


def cells(table: VigilTable) -> list[tuple[str, ...]]:
    """Every row the table holds, as text."""
    return [tuple(str(c) for c in row) for _, row in table.all_rows]


def cli_json(command: str, workspace: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """The document the screen's headless twin prints."""
    capsys.readouterr()
    assert main(["--workspace", str(workspace), *shlex.split(command)[1:]]) == 0
    return json.loads(capsys.readouterr().out)


async def test_tablet_tops_the_slices_and_drills_into_its_requests(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "slices", model="fraud-detector", window="24h")
        rows = cells(screen.query_one("#slices-table", VigilTable))
        assert "device_type=tablet" in rows[0][0]
        twin = screen.view.twin
        assert "= vigil slices --model fraud-detector --window 24h" in screen_text(app)

        await pilot.press("j", "enter")
        requests = await loaded(pilot)
        table = requests.query_one("#requests-table", VirtualTable)
        tablet = screen.view.table.slices[1]
        assert tablet.name == "device_type == tablet"
        assert table.row_count >= tablet.support
        await pilot.press("pagedown", "pagedown")
        assert table.cursor_row == 2 * table.page_rows
        assert "tablet" in screen_text(app)

        await pilot.press("d")
        drift = await loaded(pilot)
        assert type(drift).__name__ == "DriftScreen"
        assert drift.view_args.predicates == (("device_type", "tablet"),)
        assert drift.view_args.window == "24h"
    document = cli_json(twin, demo_workspace, capsys)
    expected = [
        slice_cells(
            SliceMetric(
                **{k: v for k, v in row.items() if k not in ("name", "change")}
                | {"predicates": tuple(Predicate(**p) for p in row["predicates"])}
            ),
            compared=False,
        )
        for row in document["slices"]
    ]
    assert [row[1:] for row in rows] == [row[1:] for row in expected]


async def test_the_baseline_ranks_tablet_first_by_change(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "slices", model="fraud-detector", window="24h")
        await pilot.press("b")
        await loaded(pilot)
        rows = cells(screen.query_one("#slices-table", VigilTable))
        assert rows[0][0] == "device_type=tablet"
        assert "vs 11-18 00:00..11-19 00:00 (ranked by change)" in screen_text(app)
        await pilot.press("m")
        await loaded(pilot)
        assert screen.choice.metric == "error_rate"


async def test_feature_fetch_is_over_budget_on_the_latency_screen(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "latency", model="fraud-detector", window="24h")
        text = screen_text(app)
        assert "feature_fetch is OVER its budget" in text
        assert "percentiles of stages do not add" in text
        rows = {row[0]: row for row in cells(screen.query_one("#latency-table", VigilTable))}
        assert rows["feature_fetch"][6] == "OVER"
        twin = screen.view.twin

        await pilot.press("a")
        for key in "feature_fetch 4":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        await pilot.pause()
        assert "feature_fetch 4× faster →" in screen_text(app)
        await pilot.press("a", "x", "enter")
        await pilot.pause()
        assert any("type a stage and a speed-up" in n.message for n in app._notifications)
    document = cli_json(twin, demo_workspace, capsys)
    for stage in document["stages"]:
        fields = {k: v for k, v in stage.items() if k not in ("over_budget", "budget_ratio")}
        shown = rows[stage["stage"]]
        assert (*shown[:5], *shown[6:]) == stage_cells(StageLatency(**fields))


async def test_the_timeline_shows_the_deploy_before_the_accuracy_drop(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "timeline", model="fraud-detector")
        kinds = [(event.kind, event.summary) for event in screen.events_shown]
        deploy = next(i for i, (kind, _) in enumerate(kinds) if kind == "deploy")
        drop = next(i for i, (_, what) in enumerate(kinds) if what.startswith("accuracy"))
        assert deploy < drop
        text = screen_text(app)
        assert "moved first (*): the model layer" in text
        table = screen.query_one("#timeline-table", VirtualTable)
        assert table.row_count == len(screen.view.timeline.events)

        await pilot.press("o")
        assert screen.events_shown[0].at >= screen.events_shown[-1].at
        await pilot.press("l")
        assert {event.layer for event in screen.events_shown} == {screen.chosen.layer}
        table.move_cursor(0)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "EventDetails"
        assert "layer" in screen_text(app)
        await pilot.press("escape")
        assert app.screen is screen


async def test_correlation_pairs_and_the_chosen_pair_plotted(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "correlation", model="fraud-detector")
        rows = cells(screen.query_one("#pairs", VigilTable))
        assert rows and all(row[4] in ("infra", "model", "none") for row in rows)
        assert rows[0][0] == screen.view.pairs[0].infra
        first = screen_text(app)
        assert "= vigil timeline --model fraud-detector --window 72h --correlate" in first
        await pilot.press("j")
        await pilot.pause()
        assert screen_text(app) != first


async def test_a_bad_window_is_said_and_nothing_changes(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "latency", model="fraud-detector", window="6h")
        await pilot.press("w")
        for key in "soon":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.window_text == "6h"
        assert any("not a duration" in n.message for n in app._notifications)


async def test_a_window_without_data_says_so_in_the_head_and_the_table(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_view(
            "slices",
            ViewArgs(model="fraud-detector", window="2020-01-01T00:00..2020-01-02T00:00"),
        )
        for _ in range(200):
            await settle(pilot)
            if "no requests logged" in screen_text(app):
                break
            await pilot.pause(0.05)
        text = screen_text(app)
        assert text.count("no requests logged for fraud-detector") >= 2
        assert "computing slices" not in text


async def test_the_screens_keys_are_remappable_by_id(demo: Context) -> None:
    app = make_app(demo, refresh_s=3600, keymap={"slices.metric": ("M",)})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_view(pilot, "slices", model="fraud-detector", window="24h")
        await pilot.press("m")
        await pilot.pause()
        assert screen.choice.metric == "accuracy"
        await pilot.press("M")
        await loaded(pilot)
        assert screen.choice.metric == "error_rate"
        assert "error_rate: overall" in screen_text(app)
