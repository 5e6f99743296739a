"""Every mutating entry point of the console, tried on a read-only context against a live server.

The console runs on a copy of the demo workspace with local_serving serving
it; the context is read-only (configured so, or `--read-only`). Each quick
action key on the overview and the model screen, each runbook through `:run`
and through the runbooks screen is tried; afterwards the server's split and
the registry's aliases are exactly what they were, and each attempt that
reached the gate left a refusal in the audit log.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from backends.embedded import EmbeddedBackend
from console.config import Context, resolve_context
from console.tui.screens.model import ModelScreen
from console.tui.screens.run import RunScreen
from console.tui.screens.run_form import RunFormScreen
from console.tui.screens.runbooks import RunbooksScreen
from console.tui.widgets.table import VigilTable
from tests.integration.runbooks.runbook_live import MODEL, Live, copy_workspace, start, stop
from tests.tui.helpers import make_app, screen_text, settle

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUICK_KEYS = ("R", "W", "P", "T")
RUNS = (
    f"run rollback model={MODEL}",
    f"run set-traffic model={MODEL} weights=2=50,3=50",
    f"run promote model={MODEL}",
    f"run canary model={MODEL}",
    f"run retrain-on-drift model={MODEL}",
    f"run fire-drill model={MODEL}",
)


@pytest.fixture(scope="module")
def live(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """local_serving on a private copy of the demo workspace."""
    workspace = copy_workspace(demo_workspace, tmp_path_factory.mktemp("readonly") / "ws")
    running = start(workspace)
    yield running
    stop(running)


def aliases(workspace: Path) -> dict[str, str]:
    """fraud-detector's aliases in the registry."""
    backend = EmbeddedBackend(workspace)
    try:
        return {a: v.version for v in backend.get_model(MODEL).versions for a in v.aliases}
    finally:
        backend.close()


def audit_outcomes(workspace: Path) -> list[str]:
    backend = EmbeddedBackend(workspace)
    try:
        return [record.outcome for record in backend.audit_log()]
    finally:
        backend.close()


def read_only_context(workspace: Path, how: str, config: Path) -> Context:
    """The workspace as a context read-only by flag (`--read-only`) or by its name (`prod`)."""
    if how == "--read-only":
        args = argparse.Namespace(workspace=str(workspace), read_only=True, context=None)
        return resolve_context(args)
    (config / "vigil").mkdir(parents=True)
    (config / "vigil" / "config.yaml").write_text(
        f"current: prod\ncontexts:\n  prod:\n    workspace: {workspace}\n"
    )
    context = resolve_context(argparse.Namespace(workspace=None, read_only=False, context=None))
    assert context.read_only, "a context named prod is read-only by default"
    return context


async def until(pilot: Pilot[Any], check: Any, what: str, rounds: int = 1500) -> None:
    for _ in range(rounds):
        await pilot.pause(0.02)
        if check():
            return
    raise AssertionError(f"never {what}:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]


async def command(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line", Input).value = text
    await pilot.press("enter")


async def try_quick_keys(pilot: Pilot[Any]) -> list[str]:
    """Press every quick action key; each must say why and open nothing."""
    app: Any = pilot.app
    screen = app.screen
    await until(pilot, lambda: screen.action_states is not None, "read the capabilities")
    said = []
    for key in QUICK_KEYS:
        before = len(app._notifications)
        await pilot.press(key)
        await pilot.pause(0.1)
        assert app.screen is screen, f"{key} opened {app.screen!r}"
        new = list(app._notifications)[before:]
        assert new and "read-only" in new[-1].message, key
        said.append(new[-1].message)
    assert "read-only" in screen_text(app) and "disabled" in screen_text(app)
    return said


async def try_run(pilot: Pilot[Any], text: str) -> str:
    """`:run ...`, Enter on the plan: the gate refuses; the summary says why."""
    app: Any = pilot.app
    await command(pilot, text)
    await until(pilot, lambda: getattr(app.screen, "phase", "") in ("planned", "plan-failed"), text)
    screen = app.screen
    assert isinstance(screen, RunScreen)
    assert "read-only context" in str(screen.query_one("#run-note", Static).render())
    if screen.phase == "planned":
        await pilot.press("enter")
        await until(pilot, lambda: screen.phase == "ended", f"{text} ended")
        summary = str(screen.query_one("#run-summary", Static).render())
        assert summary.startswith("refused"), summary
        assert "read-only" in summary or "non-production" in summary, summary
    await pilot.press("escape")
    return screen.phase


@pytest.mark.parametrize("how", ["--read-only", "prod"])
async def test_every_mutating_entry_point_changes_nothing_live(
    live: Live, how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    weights, named = live.weights(), aliases(live.workspace)
    refusals = sum(o.startswith("refused") for o in audit_outcomes(live.workspace))
    app = make_app(read_only_context(live.workspace, how, tmp_path / "config"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#models", VigilTable)
        await until(pilot, lambda: MODEL in [k for k, _ in table.all_rows], "the models")
        table.move_cursor(row=[k for k, _ in table.all_rows].index(MODEL))
        await try_quick_keys(pilot)
        app.open_model(MODEL)
        await until(pilot, lambda: isinstance(app.screen, ModelScreen), "the model screen")
        await try_quick_keys(pilot)
        phases = [await try_run(pilot, text) for text in RUNS]
        assert phases.count("ended") >= 4, phases
        await command(pilot, "runbooks")
        await until(pilot, lambda: isinstance(app.screen, RunbooksScreen), "runbooks")
        await settle(pilot)
        await pilot.press("enter")  # the first runbook (canary): its form
        await until(pilot, lambda: isinstance(app.screen, RunFormScreen), "a form")
        app.screen.query_one("#p-model", Input).value = MODEL
        app.screen.query_one("#form-plan", Button).press()
        await until(pilot, lambda: getattr(app.screen, "phase", "") == "planned", "planned")
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "phase", "") == "ended", "ended")
    assert live.weights() == weights, "the server's split did not change"
    assert aliases(live.workspace) == named, "the registry's aliases did not change"
    outcomes = audit_outcomes(live.workspace)
    new_refusals = sum(o.startswith("refused") for o in outcomes) - refusals
    assert new_refusals >= 5, "each run that reached the gate is audited as refused"
