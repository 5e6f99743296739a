"""Navigation: the views registry, the command line, Tab, `/` filter, history, pause, contexts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from backends.contracts import EndpointStatus, VersionState
from console.services.canary import full_split
from console.services.reading import read
from console.tui.actions import ACTIONS
from console.tui.screens.help import help_lines
from console.tui.screens.model import ModelScreen
from console.tui.screens.overview import OverviewScreen
from console.tui.views import VIEWS, ViewArgs
from console.tui.widgets.breadcrumbs import Breadcrumbs, fit_crumbs
from console.tui.widgets.command_line import CommandError, CommandLine, complete, parse_command
from console.tui.widgets.status_bar import StatusBar
from console.tui.widgets.table import TableFilter, VigilTable
from tests.datasets import memory_backend
from tests.datasets.three_models import three_models
from tests.tui.helpers import make_app, screen_text, settle
from tests.tui.workspace import build_workspace

MODELS = ("churn-predictor", "eta-regressor", "fraud-detector")
INVESTIGATION = ("drift", "slices", "latency", "timeline", "correlation")


def rows(app, selector: str) -> list[list[str]]:
    """Every row of a table, cells stripped."""
    table = app.screen.query_one(selector, VigilTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


def said(app) -> list[str]:
    """The notifications shown so far."""
    return [notification.message for notification in app._notifications]


def test_the_command_line_takes_every_view_with_its_arguments() -> None:
    drift = parse_command(":drift fraud-detector 6h device_type=tablet", MODELS)
    assert drift.view is not None and drift.view.name == "drift"
    assert drift.args == ViewArgs("fraud-detector", "6h", (("device_type", "tablet"),))
    assert parse_command(":d 2026-11-19T00:00..2026-11-20T00:00").args.window == (
        "2026-11-19T00:00..2026-11-20T00:00"
    )
    assert parse_command(":overview @staging").args.context == "staging"
    assert parse_command(":@staging").verb == "overview"
    assert parse_command(":m eta-regressor").args.model == "eta-regressor"
    for name in INVESTIGATION:
        view = VIEWS.lookup(name)
        assert view is not None and parse_command(f":{view.aliases[0]}").verb == name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (":drift a b", "unexpected 'b'; usage: :drift [MODEL]"),
        (":drift 1h 6h", "two windows"),
        (":slices fraud-detector device_type=tablet", "is not understood here"),
        (":model", "usage: :model NAME"),
        (":bogus", "unknown command 'bogus' (known: overview, model, drift"),
        (":drift @", "'@' needs a context name"),
        (":q now", ":quit takes no argument"),
    ],
)
def test_a_bad_command_line_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_command(text, MODELS)


def test_tab_completes_views_models_contexts_and_windows() -> None:
    assert complete(":dr", MODELS, ()) == ":drift "
    assert complete(":drift fr", MODELS, ()) == ":drift fraud-detector "
    assert complete(":drift fraud-detector 2", MODELS, ()) == ":drift fraud-detector 24h "
    assert complete(":overview @st", MODELS, ("staging", "prod")) == ":overview @staging "
    assert complete(":drift e", ("eta-a", "eta-b"), ()) == ":drift eta-"
    assert complete(":zz", MODELS, ()) == ":zz"


def test_a_filter_is_a_regex_or_text_and_bang_inverts() -> None:
    cells = ("fraud-detector", "v3:90 v4:10")
    assert TableFilter.parse("FRAUD").keeps(cells)  # type: ignore[union-attr]
    assert TableFilter.parse("^fr.*tor").keeps(cells)  # type: ignore[union-attr]
    assert not TableFilter.parse("!fraud").keeps(cells)  # type: ignore[union-attr]
    assert TableFilter.parse("v4:1(").keeps(("v4:1(",))  # type: ignore[union-attr]
    assert TableFilter.parse("!fraud").label == "not /fraud/"  # type: ignore[union-attr]
    assert TableFilter.parse("  ") is None


def test_breadcrumbs_drop_middle_crumbs_before_the_current_view() -> None:
    crumbs = ("vigil", "a-very-long-context-name", "overview", "fraud-detector", "drift")
    assert fit_crumbs(crumbs, "", 200) == " › ".join(crumbs)
    fitted = fit_crumbs(crumbs, "filter /x/ · 1 of 8 rows", 64)
    assert fitted == "vigil › … › fraud-detector › drift · filter /x/ · 1 of 8 rows"
    assert len(fit_crumbs(crumbs, "filter /x/", 20)) <= 20


def test_a_version_at_zero_percent_stays_in_the_split_of_a_live_server() -> None:
    status = EndpointStatus(
        "m",
        (
            VersionState("3", "ready", "onnx"),
            VersionState("4", "ready", "onnx"),
            VersionState("1", "unloaded", "onnx"),
        ),
        {"3": 100},
        healthy=True,
        live=True,
    )
    assert full_split(status) == {"3": 100, "4": 0}


def test_a_server_without_a_split_sends_its_one_loaded_version_every_request() -> None:
    one = (VersionState("1", "ready", "onnx"), VersionState("2", "unloaded", "onnx"))
    assert full_split(EndpointStatus("m", one, {}, healthy=True)) == {"1": 100}
    two = (VersionState("1", "ready", "onnx"), VersionState("2", "ready", "onnx"))
    assert full_split(EndpointStatus("m", two, {}, healthy=True)) == {"1": 0, "2": 0}


def test_each_investigation_view_has_one_key_on_the_model_screen_in_footer_and_help() -> None:
    text = "\n".join(help_lines({}))
    for name in INVESTIGATION:
        action = next(a for a in ACTIONS if a.id == f"model.{name}")
        assert len(action.keys) == 1 and action.footer and action.scope == "model"
        assert f"[model.{name}]" in text


def test_no_action_sits_on_ctrl_d_k_or_u() -> None:
    for action in ACTIONS:
        assert not {"ctrl+d", "ctrl+k", "ctrl+u"} & set(action.keys), action.id


async def test_brackets_walk_the_history_and_escape_goes_back() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen) and app.screen.model_name == "eta-regressor"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen) and app.screen.model_name == "eta-regressor"
        await pilot.press("colon", *"model fraud-detector", "enter")
        await settle(pilot)
        assert app.screen.model_name == "fraud-detector"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.model_name == "eta-regressor"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen) and app.is_running
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert app.screen.model_name == "fraud-detector"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert said(app)[-1] == "no later view in the history"


async def test_slash_filters_the_model_screen_shows_it_in_the_header_and_says_when_empty() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"m fraud-detector", "enter")
        await settle(pilot)
        await pilot.press("slash", *"champ", "enter")
        await pilot.pause()
        assert [row[0] for row in rows(app, "#versions")] == ["v3"]
        crumbs = str(app.screen.query_one(Breadcrumbs).render())
        assert crumbs.endswith("fraud-detector · filter /champ/ · 1 of 2 rows")
        await pilot.press("r")
        await settle(pilot)
        assert [row[0] for row in rows(app, "#versions")] == ["v3"]
        await pilot.press("slash", *"!champ", "enter")
        await pilot.pause()
        assert [row[0] for row in rows(app, "#versions")] == ["v4"]
        await pilot.press("slash", *"nothing-like-it", "enter")
        await pilot.pause()
        assert rows(app, "#versions")[0][0] == (
            "no row matches /nothing-like-it/ (Escape clears the filter)"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen) and len(rows(app, "#versions")) == 2
        assert "filter" not in str(app.screen.query_one(Breadcrumbs).render())


async def test_tab_completes_on_the_command_line_and_enter_opens_the_view() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", "m", "o", "d", "tab", "f", "r", "tab")
        assert app.screen.query_one(CommandLine).value == "model fraud-detector "
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelScreen) and app.screen.model_name == "fraud-detector"


async def test_p_pauses_the_refresh_and_says_so() -> None:
    source = three_models()
    calls: list[int] = []
    original = memory_backend(source).list_models

    def counted():
        calls.append(1)
        return original()

    memory_backend(source).list_models = counted  # type: ignore[method-assign]
    app = make_app(source, refresh_s=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        before = len(calls)
        await pilot.pause(0.3)
        assert len(calls) == before
        assert "paused (p resumes)" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("p")
        await pilot.pause(0.3)
        await settle(pilot)
        assert len(calls) > before


async def test_a_failing_analysis_reaches_the_status_bar_and_the_app_keeps_running() -> None:
    source = three_models()
    memory_backend(source).fail("inference_log")
    app = make_app(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"drift fraud-detector", "enter")
        await settle(pilot)
        status = str(app.screen.query_one(StatusBar).render())
        assert status.startswith("✗ ") and "inference_log" in status
        assert "inference_log" in rows(app, "#drift-table")[0][0]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen) and app.is_running


async def test_at_context_switches_to_a_configured_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = build_workspace(tmp_path / "other")
    config = tmp_path / "config" / "vigil"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text(
        f"contexts:\n  other:\n    workspace: {other}\n", encoding="utf-8"
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"overview @nosuch", "enter")
        await pilot.pause()
        assert said(app)[-1] == "no context named 'nosuch' (known: other)"
        await pilot.press("colon", *"overview @oth", "tab", "enter")
        await settle(pilot)
        assert app.settings.context_name == "other"
        assert "vigil › other › overview" in screen_text(app)
        assert sorted(row[0] for row in rows(app, "#models")) == list(MODELS)


def test_a_hung_backend_holds_one_thread_however_often_it_is_read() -> None:
    release = threading.Event()
    before = threading.active_count()
    first = read(lambda: release.wait(10), source="slow", timeout_s=0.05)
    assert first.error == "timed out after 0.05 s"
    for _ in range(20):
        again = read(lambda: release.wait(10), source="slow", timeout_s=0.05)
        assert again.error == "still waiting for an earlier slow read"
    assert threading.active_count() == before + 1
    assert read(lambda: 7, source="fast", timeout_s=1).value == 7
    release.set()
    for _ in range(100):
        if threading.active_count() == before:
            break
        time.sleep(0.01)
    assert read(lambda: 8, source="slow", timeout_s=1).value == 8
