"""Pilot flows: overview → model → back, quit, help, keymap, degraded backends, 80×24."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from console.tui.actions import ACTIONS
from console.tui.keymap import load_keymap
from console.tui.palette import VigilCommands
from console.tui.screens.help import HelpScreen
from console.tui.screens.model import ModelScreen
from console.tui.screens.overview import OverviewScreen
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable
from tests.datasets import memory_backend
from tests.datasets.three_models import NOW, three_models
from tests.tui.helpers import make_app, screen_text, settle

MODELS = ("churn-predictor", "eta-regressor", "fraud-detector")


def table_rows(app, selector: str) -> list[list[str]]:
    """Every row of a table as strings."""
    table = app.screen.query_one(selector, VigilTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_overview_lists_every_model_with_its_numbers() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = {row[0]: row for row in table_rows(app, "#models")}
        assert tuple(sorted(rows)) == MODELS
        assert rows["fraud-detector"][1] == "v3:90 v4:10"
        assert rows["fraud-detector"][4] == "v4 at 10 %"
        assert rows["eta-regressor"][2] == "5.00 %"
        assert rows["eta-regressor"][3] == "96/80 ▲ OVER"
        assert rows["eta-regressor"][5] == "1 (P1)"
        assert rows["churn-predictor"][3] == "150/200 ok"
        assert rows["churn-predictor"][6] == "3 d"
        assert "data to 11-20 14:00 UTC (3 d old)" in screen_text(app)


async def test_enter_opens_the_model_screen_and_escape_returns() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen)
        assert app.screen.model_name == "fraud-detector"
        versions = table_rows(app, "#versions")
        assert versions == [
            ["v3", "champion", "90 %", "ready", "onnx", "2026-11-02 09:30"],
            ["v4", "challenger", "10 %", "ready", "onnx", "2026-11-15 09:30"],
        ]
        lineage = table_rows(app, "#lineage")
        assert lineage[0][:2] == ["v3", "c0defraud-"]
        text = screen_text(app)
        assert "overview › fraud-detector" in text
        assert "canary v4 at 10 %" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_q_quits_with_exit_code_zero() -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_help_lists_every_action_of_the_registry() -> None:
    app = make_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = str(app.screen.query_one("#help-body").render())
        for action in ACTIONS:
            if action.scope == "replay":  # listed only while replaying (tests/tui/test_replay.py)
                assert f"[{action.id}]" not in body
                continue
            assert f"[{action.id}]" in body
            assert action.description in body
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_a_remapped_key_from_the_keymap_file_works(tmp_path: Path) -> None:
    keymap_file = tmp_path / "keymap.yaml"
    keymap_file.write_text("quit: x\nrow.down: n\n", encoding="utf-8")
    app = make_app(keymap=load_keymap(keymap_file))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("n", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen)
        assert app.screen.model_name == "eta-regressor"
        await pilot.press("question_mark")
        await pilot.pause()
        body = str(app.screen.query_one("#help-body").render())
        assert "  x " in body and "[quit]" in body
        await pilot.press("escape", "x")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_backend_that_raises_degrades_one_column_and_the_app_keeps_running() -> None:
    source = three_models()
    memory_backend(source).fail("metrics")
    app = make_app(source)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        rows = {row[0]: row for row in table_rows(app, "#models")}
        assert rows["fraud-detector"][1] == "v3:90 v4:10"
        assert rows["fraud-detector"][2] == "✗ error"
        assert rows["fraud-detector"][3] == "✗ error"
        assert rows["eta-regressor"][5] == "1 (P1)"
        assert "✗ metrics: metrics backend down" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen)
        assert app.is_running


async def test_a_broken_registry_shows_its_error_instead_of_the_table() -> None:
    source = three_models()
    memory_backend(source).fail("registry")
    app = make_app(source)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "✗ registry unavailable: registry backend down" in screen_text(app)
        table = app.screen.query_one("#models", VigilTable)
        assert table_rows(app, "#models")[0][0] == "✗ registry unavailable"
        assert table.selected_key() is None


async def test_a_failed_refresh_keeps_the_last_value_marked_stale() -> None:
    source = three_models()
    now = [NOW]
    app = make_app(source, clock=lambda: now[0])
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        memory_backend(source).fail("metrics")
        now[0] = NOW + timedelta(minutes=7)
        await pilot.press("r")
        await settle(pilot)
        rows = {row[0]: row for row in table_rows(app, "#models")}
        assert rows["eta-regressor"][2] == "~5.00 %"
        assert rows["eta-regressor"][1] == "v8:100 v7:0"
        assert "✗ metrics: metrics backend down (stale for 7 min)" in screen_text(app)


async def test_the_first_frame_paints_before_any_backend_answers() -> None:
    release = threading.Event()
    source = three_models()
    slow = memory_backend(source).list_models

    def blocked():
        release.wait(10)
        return slow()

    memory_backend(source).list_models = blocked  # type: ignore[method-assign]
    app = make_app(source)
    async with app.run_test() as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "reading the backends…" in text
        assert "loading…" in text
        release.set()
        await settle(pilot)
        assert app.screen.query_one("#models", VigilTable).row_count == 3


async def test_hidden_screens_stop_polling() -> None:
    app = make_app(three_models(), refresh_s=0.05)
    async with app.run_test() as pilot:
        await settle(pilot)
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        calls = []
        original = overview.load

        def counted():
            calls.append(1)
            return original()

        overview.load = counted  # type: ignore[method-assign]
        for _ in range(200):  # every 0.05 s while shown; a loaded machine may be slower
            if len(calls) >= 3:
                break
            await pilot.pause(0.05)
        assert len(calls) >= 3
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen), app.screen
        before = len(calls)
        await pilot.pause(0.3)
        await settle(pilot)
        assert len(calls) == before


async def test_command_line_opens_a_model_and_reports_bad_commands() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"model eta-regressor", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen)
        assert app.screen.model_name == "eta-regressor"
        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen)
        assert app.is_running
        await pilot.press("colon", *"overview", "enter")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_slash_filters_the_models_and_escape_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"fraud")
        await pilot.pause()
        assert [row[0] for row in table_rows(app, "#models")] == ["fraud-detector"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table_rows(app, "#models")) == 3


async def test_an_unknown_model_is_named_not_blamed_on_the_registry() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_model("nope")
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        said = [notification.message for notification in app._notifications]
        assert said == ["no model named 'nope' (known: " + ", ".join(MODELS) + ")"]


async def test_a_model_screen_for_a_model_the_registry_lacks_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_view(app.view_named("model"), ViewArgs(model="nope"))
        await settle(pilot)
        text = screen_text(app)
        assert "✗ no model 'nope'" in text
        assert "registry unavailable" not in text


async def test_80_by_24_renders_every_model() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        for model in MODELS:
            assert model in text
        assert len(text.splitlines()) == 24


async def test_the_palette_offers_registry_actions_and_models() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        provider = VigilCommands(app.screen)
        commands = {title: callback for title, _, callback in provider.entries()}
        assert "Filter the table (substring, /regex/, ! inverts)" in commands
        assert "Model: fraud-detector" in commands
        assert "Drift: churn-predictor" in commands
        assert "Next row" not in commands
        await commands["Filter the table (substring, /regex/, ! inverts)"]()
        await pilot.pause()
        assert app.screen.query_one("#filter").has_class("open")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_a_superseded_slow_read_does_not_overwrite_a_newer_one() -> None:
    source = three_models()
    release = threading.Event()
    models = memory_backend(source).list_models
    calls = []

    def first_slow_and_partial():
        calls.append(1)
        if len(calls) == 1:
            release.wait(10)
            return models()[:1]
        return models()

    memory_backend(source).list_models = first_slow_and_partial  # type: ignore[method-assign]
    app = make_app(source)
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        await pilot.press("r")
        table = app.screen.query_one("#models", VigilTable)
        for _ in range(200):
            if table.row_count == 3:
                break
            await pilot.pause(0.05)
        assert table.row_count == 3
        release.set()
        await settle(pilot)
        await pilot.pause(0.2)
        assert len(calls) == 2
        assert app.screen.query_one("#models", VigilTable).row_count == 3


async def test_a_read_only_context_says_so_in_the_breadcrumbs() -> None:
    source = three_models()
    source.read_only = True
    app = make_app(source)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "vigil › test (read-only) › overview" in screen_text(app)
