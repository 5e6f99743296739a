"""Replay's instant reaches what used to read the wall clock, and the gate says replay's reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest

from backends.embedded import EmbeddedBackend
from console.config import Context, embedded_context
from console.services.analysis_window import AnalysisWindow
from console.services.clock import fixed_clock, iso_minute
from console.services.replay import ReplaySource
from console.services.runbook_env import runbook_environment
from console.services.timeline_view import compute_timeline
from runbooks.engine import RunbookRefused
from runbooks.engine.environment import NoHuman
from runbooks.engine.gate import check
from runbooks.library import __file__ as library_init
from runbooks.spec import load_runbook
from tests.datasets.three_models import DATA_END
from tests.tui.workspace import build_workspace

MODEL = "fraud-detector"
ROLLBACK = load_runbook(Path(library_init).with_name("rollback.yaml"))


@pytest.fixture
def context(tmp_path: Path) -> Context:
    return embedded_context(build_workspace(tmp_path / "ws"), name="staging")


def test_the_timeline_lists_the_actions_taken_up_to_the_callers_instant(context: Context) -> None:
    """A split stored after the logs stop is on the timeline as of its instant, not before."""
    moved_at = DATA_END + timedelta(minutes=30)
    backend = EmbeddedBackend(Path(str(context.workspace)))
    try:
        backend.store_traffic(MODEL, {"3": 100}, "test", at=moved_at)
    finally:
        backend.close()
    model = context.registry.get_model(MODEL)
    window = AnalysisWindow(model, DATA_END - timedelta(hours=72), DATA_END, "72h", DATA_END)
    before = compute_timeline(context, window, fixed_clock(moved_at - timedelta(minutes=10)))
    at_it = compute_timeline(context, window, fixed_clock(moved_at))  # the instant holds it
    assert not [e for e in before.timeline.events if e.at >= moved_at]
    assert [e for e in at_it.timeline.events if e.at == moved_at], at_it.timeline.events


def test_the_runbook_readings_end_at_the_callers_instant(context: Context) -> None:
    """A drift reading as of an instant reads the log up to it, not up to now."""
    early = DATA_END - timedelta(hours=2)
    log = context.backend("inference_log")
    seen: list[object] = []
    real = log.window

    def spy(model: str, start: object, end: object, *args: object, **kw: object) -> object:
        seen.append(end)
        return real(model, start, end, *args, **kw)

    log.window = spy
    env = runbook_environment(context, confirmer=NoHuman(), out=lambda _: None)
    env_then = runbook_environment(
        context, confirmer=NoHuman(), out=lambda _: None, clock=fixed_clock(early)
    )
    assert env.quality is not None and env_then.quality is not None
    env_then.quality(MODEL, "accuracy", 600.0)
    assert seen == [early]
    env.quality(MODEL, "accuracy", 600.0)
    assert seen[-1] != early  # the live clock: the last logged request, well after `early`


def test_the_gate_refuses_a_replay_with_its_reason_and_a_read_only_context_with_its_own(
    context: Context,
) -> None:
    at = DATA_END - timedelta(minutes=5)
    as_of = cast("Context", ReplaySource(context, at))  # as `vigil --at` opens it
    replay = runbook_environment(as_of, confirmer=NoHuman(), out=print)
    with pytest.raises(RunbookRefused) as refused:
        check(replay, ROLLBACK, ROLLBACK.steps)
    assert str(refused.value).startswith(f"replay is read-only (as of {iso_minute(at)}): rollback")
    context.read_only = True
    flagged = runbook_environment(context, confirmer=NoHuman(), out=print)
    with pytest.raises(RunbookRefused) as refused:
        check(flagged, ROLLBACK, ROLLBACK.steps)
    assert str(refused.value).startswith("context 'staging' is read-only: rollback")
