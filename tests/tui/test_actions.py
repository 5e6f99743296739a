"""Acting from the console: runbooks screen, form, plan, the gate's modal, the run as it goes.

Every flow drives the real app on a real embedded workspace (the three
models) and checks what the engine persisted and audited: the console has
no path of its own to a backend's mutating call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, RichLog, Static

from backends.embedded import EmbeddedBackend
from console.config import Context, embedded_context
from console.tui.screens.run import RunScreen
from console.tui.screens.run_form import RunFormScreen
from console.tui.screens.runbooks import RunbooksScreen
from console.tui.widgets.breadcrumbs import Breadcrumbs
from console.tui.widgets.confirm import ConfirmModal
from console.tui.widgets.table import VigilTable
from tests.tui.helpers import make_app, screen_text, settle
from tests.tui.workspace import build_workspace

MODEL = "fraud-detector"
SIZE = (100, 40)
WAITING = """\
name: slow-shift
description: shift traffic, wait ten minutes, shift again
risk: medium
parameters:
  model: {type: string, required: true, description: the model}
steps:
  - name: shift
    type: set_weights
    weights: {"3": 80, "4": 20}
  - name: hold
    type: wait
    duration: 10m
  - name: more
    type: set_weights
    weights: {"3": 50, "4": 50}
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private three-models workspace; the user's config folder is private too."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return build_workspace(tmp_path / "ws")


def context(workspace: Path, read_only: bool = False) -> Context:
    return embedded_context(workspace, name="test", read_only=read_only)


def stored(workspace: Path) -> dict[str, int]:
    """fraud-detector's split as the workspace holds it."""
    backend = EmbeddedBackend(workspace)
    try:
        return {v: w for v, w in backend.stored_traffic(MODEL).items() if w}
    finally:
        backend.close()


def audit(workspace: Path) -> list[Any]:
    backend = EmbeddedBackend(workspace)
    try:
        return list(backend.audit_log())
    finally:
        backend.close()


async def until(pilot: Pilot[Any], check: Any, what: str, rounds: int = 400) -> None:
    """Pause until `check()` holds (workers post their messages in between)."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if check():
            return
    raise AssertionError(f"never {what}:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]


async def command(pilot: Pilot[Any], text: str) -> None:
    """Type a `:` command and Enter."""
    await pilot.press(":")
    line = pilot.app.screen.query_one("#command-line", Input)
    line.value = text
    await pilot.press("enter")


def run_screen(app: Any) -> RunScreen:
    screen = app.screen
    assert isinstance(screen, RunScreen), screen
    return screen


async def planned(pilot: Pilot[Any]) -> RunScreen:
    await until(pilot, lambda: getattr(pilot.app.screen, "phase", "") == "planned", "planned")
    return run_screen(pilot.app)


async def ended(pilot: Pilot[Any]) -> RunScreen:
    await until(pilot, lambda: getattr(pilot.app.screen, "phase", "") == "ended", "ended")
    return run_screen(pilot.app)


async def test_the_runbooks_screen_lists_bundled_user_and_broken_runbooks(
    workspace: Path, tmp_path: Path
) -> None:
    user = tmp_path / "config" / "vigil" / "runbooks"
    user.mkdir(parents=True)
    (user / "slow-shift.yaml").write_text(WAITING)
    (user / "broken.yaml").write_text("name: broken\nrisk: extreme\n")
    (user / "rollback.yaml").write_text(WAITING.replace("slow-shift", "rollback"))
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "runbooks")
        await until(pilot, lambda: isinstance(app.screen, RunbooksScreen), "runbooks")
        await settle(pilot)
        table = app.screen.query_one("#runbooks", VigilTable)
        rows = [tuple(str(cell) for cell in cells[:3]) for _, cells in table.all_rows]
        assert ("rollback", "medium", "bundled") in rows
        assert ("rollback", "error", "user") in rows, "a bundled name is never shadowed"
        assert ("slow-shift", "medium", "user") in rows
        assert ("broken", "error", "user") in rows
        text = screen_text(app)
        assert "the name is taken by the bundled runbook 'rollback'" in text
        detail = str(app.screen.query_one("#runbook-detail", Static).render())
        assert "risk" in detail and "parameters:" in detail


async def form_model_from_runbooks(pilot: Pilot[Any], line: str) -> tuple[str | None, str]:
    """`:runbooks ...`, then Enter on set-traffic: the screen's model and the form's model field."""
    await command(pilot, line)
    await until(pilot, lambda: isinstance(pilot.app.screen, RunbooksScreen), "runbooks")
    screen = pilot.app.screen
    assert isinstance(screen, RunbooksScreen)
    await until(pilot, lambda: bool(screen.entries), "the catalog")
    if screen.view_args.model:
        assert screen.crumbs[-2:] == (screen.view_args.model, "runbooks"), screen.crumbs
    table = screen.query_one("#runbooks", VigilTable)
    table.move_cursor(row=[entry.name for entry in screen.entries].index("set-traffic"))
    table.focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, RunFormScreen), "the form")
    value = pilot.app.screen.query_one("#p-model", Input).value
    crumbs = pilot.app.screen.query_one(Breadcrumbs).crumbs
    assert crumbs[2:] == (value, "runbooks", "set-traffic", "form"), crumbs
    await pilot.press("escape")
    await until(pilot, lambda: pilot.app.screen is screen, "back to the runbooks")
    return screen.view_args.model, value


async def test_runbooks_fills_the_model_of_the_screen_it_is_opened_on(workspace: Path) -> None:
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        selected = await form_model_from_runbooks(pilot, "runbooks")
        assert selected == ("churn-predictor", "churn-predictor"), "the overview's selected row"
        await command(pilot, f"model {MODEL}")
        await until(pilot, lambda: getattr(app.screen, "place", ("",))[0] == "model", "model")
        await settle(pilot)
        assert await form_model_from_runbooks(pilot, "runbooks") == (MODEL, MODEL)
        app.go_overview()
        await settle(pilot)
        given = await form_model_from_runbooks(pilot, "runbooks eta-regressor")
        assert given == ("eta-regressor", "eta-regressor"), "an argument wins over the row"


async def test_run_rollback_plan_no_then_yes(workspace: Path) -> None:
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, f"run rollback model={MODEL}")
        screen = await planned(pilot)
        plan = str(screen.query_one("#plan", Static).render())
        assert "rollback v3:90% v4:10% → v3:100%" in plan
        assert stored(workspace) == {"3": 90, "4": 10}, "a plan changes nothing"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked")
        assert app.screen.focused is app.screen.query_one("#confirm-no", Button), "No is focused"
        await pilot.press("enter")  # Enter on No
        await ended(pilot)
        assert stored(workspace) == {"3": 90, "4": 10}
        assert "refused" in str(screen.query_one("#run-summary", Static).render())
        assert audit(workspace)[-1].outcome.startswith("refused: not confirmed")
        await pilot.press("escape")
        await command(pilot, f"run rollback model={MODEL}")
        screen = await planned(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked again")
        await pilot.press("y")
        screen = await ended(pilot)
        summary = str(screen.query_one("#run-summary", Static).render())
        assert summary.startswith("succeeded"), summary
        assert "v3:90% v4:10% → v3:100%" in summary
        log = "\n".join(str(line.text) for line in screen.query_one("#run-log", RichLog).lines)
        assert "[rollback] rollback" in log and "[note] annotate" in log
    assert stored(workspace) == {"3": 100}
    records = audit(workspace)
    assert [r.step for r in records[-4:]] == ["gate", "rollback", "note", "end"]
    assert records[-4].outcome == "allowed"


async def test_high_risk_asks_for_the_model_name_and_keys_stay_in_the_input(
    workspace: Path,
) -> None:
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, f"run promote model={MODEL}")
        await planned(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked")
        await pilot.press(*"qyn")  # typed into the input: no key acts (no quit, no yes)
        assert app.is_running and isinstance(app.screen, ConfirmModal)
        assert app.screen.query_one("#confirm-input", Input).value == "qyn"
        await pilot.press("enter")
        screen = await ended(pilot)
        assert "refused" in str(screen.query_one("#run-summary", Static).render())
    assert stored(workspace) == {"3": 90, "4": 10}


async def test_the_form_validates_as_the_cli_does(workspace: Path) -> None:
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "run set-traffic")
        await until(pilot, lambda: isinstance(app.screen, RunFormScreen), "the form")
        form = app.screen
        assert form.query_one("#p-model", Input).value == "churn-predictor", "the selected row"
        assert form.focused is form.query_one("#p-weights", Input), "the first empty field"
        form.query_one("#p-model", Input).value = MODEL
        form.query_one("#p-weights", Input).focus()
        await pilot.press(*"3=90,4=20")
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await until(pilot, lambda: "✗" in str(error.render()), "an error")
        assert "weights must sum to 100, not 110" in str(error.render())
        form.query_one("#p-weights", Input).value = "champion=50,challenger=50"
        form.query_one("#p-weights", Input).focus()
        await pilot.press("enter")
        screen = await planned(pilot)
        assert screen.query_one(Breadcrumbs).crumbs[2:] == (MODEL, "runbooks", "set-traffic")
        assert "weights v3:90% v4:10% → v3:50% v4:50%" in str(
            screen.query_one("#plan", Static).render()
        )
    assert stored(workspace) == {"3": 90, "4": 10}


async def waiting_run(pilot: Pilot[Any]) -> RunScreen:
    """Start the user's slow-shift runbook, confirm it, and return once it holds in its wait."""
    await settle(pilot)
    await command(pilot, f"run slow-shift model={MODEL}")
    screen = await planned(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), "asked")
    await pilot.press("y")
    log = screen.query_one("#run-log", RichLog)
    await until(pilot, lambda: any("[hold] wait" in str(x.text) for x in log.lines), "waits")
    return screen


async def test_abort_stops_a_waiting_run_and_runs_on_failure(
    workspace: Path, tmp_path: Path
) -> None:
    user = tmp_path / "config" / "vigil" / "runbooks"
    user.mkdir(parents=True)
    (user / "slow-shift.yaml").write_text(WAITING)
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        screen = await waiting_run(pilot)
        assert stored(workspace) == {"3": 80, "4": 20}
        await pilot.press("escape")
        assert app.screen is screen, "the screen stays while its run goes"
        await pilot.press("X")
        await ended(pilot)
        summary = str(screen.query_one("#run-summary", Static).render())
        assert summary.startswith("failed") and "aborted by" in summary, summary
    assert stored(workspace) == {"3": 90, "4": 10}, "the default failure step put it back"


async def test_closing_the_console_interrupts_a_run_which_the_runs_view_reverts(
    workspace: Path, tmp_path: Path
) -> None:
    from console.tui.actions import BY_ID
    from console.tui.palette import _applies
    from console.tui.screens.runs import RunsScreen
    from runbooks.engine.state import list_runs

    user = tmp_path / "config" / "vigil" / "runbooks"
    user.mkdir(parents=True)
    (user / "slow-shift.yaml").write_text(WAITING)
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await waiting_run(pilot)
        await pilot.press("q")  # quit while the run waits
    runs_dir = workspace / "runbook_runs"
    for _ in range(100):
        (state,) = [r for r in list_runs(runs_dir) if r.runbook == "slow-shift"]
        if state.status == "interrupted":
            break
        await asyncio.sleep(0.05)
    assert state.status == "interrupted", state.status
    assert [r.status for r in state.steps] == ["done", "interrupted", "pending"]
    assert stored(workspace) == {"3": 80, "4": 20}, "an interrupt runs no failure step"

    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "runs")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen), "runs")
        await settle(pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen) and runs.selected() is not None
        assert runs.selected().run_id == state.run_id  # type: ignore[union-attr]
        assert runs.check_action("resume_run", ()) and runs.check_action("revert_run", ())
        assert _applies(runs, BY_ID["runs.resume"]), "the palette offers resume"
        assert "interrupted" in screen_text(app)
        await pilot.press("v")
        screen = await planned(pilot)
        assert "put back the weights" in str(screen.query_one("#plan", Static).render())
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked to revert")
        await pilot.press("y")
        await ended(pilot)
        summary = str(screen.query_one("#run-summary", Static).render())
        assert summary.startswith("reverted"), summary
        await pilot.press("escape")
        await until(pilot, lambda: "reverted" in screen_text(app), "the runs view says reverted")
        assert not _applies(runs, BY_ID["runs.resume"]), "no resume for a reverted run"
    assert stored(workspace) == {"3": 90, "4": 10}


async def test_the_audit_screen_verifies_filters_and_shows_before_and_after(
    workspace: Path,
) -> None:
    from console.tui.screens.audit import AuditScreen, RecordDetails

    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, f"run rollback model={MODEL}")
        await planned(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked")
        await pilot.press("n")
        await ended(pilot)
        await pilot.press("escape")
        await command(pilot, "audit")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen), "the audit screen")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        head = str(screen.query_one("#audit-head", Static).render())
        assert head.startswith("✓ audit chain intact"), head
        assert len(screen.records_shown) == len(audit(workspace)) == 1, "one refusal"
        await pilot.press("f")
        screen.query_one("#audit-ask", Input).value = f"model={MODEL} outcome=refused"
        await pilot.press("enter")
        assert [r.outcome[:7] for r in screen.records_shown] == ["refused"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordDetails), "the details")
        assert "not confirmed" in screen_text(app) and "before" in screen_text(app)


async def test_y_copies_the_selected_value_with_osc_52(workspace: Path) -> None:
    app = make_app(context(workspace))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "Y")
        assert app.clipboard == "eta-regressor"
        written: list[str] = []
        driver: Any = app._driver
        original = driver.write

        def recording(data: str) -> None:
            written.append(data)
            original(data)

        driver.write = recording
        await pilot.press("k", "Y")
        assert app.clipboard == "churn-predictor"
        assert any(chunk.startswith("\x1b]52;c;") for chunk in written), "an OSC 52 sequence"
