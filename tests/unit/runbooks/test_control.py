"""Stopping a run from another thread (the console's abort key, a closed console): RunControl."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from runbooks.engine import RunControl, Runner
from runbooks.engine.state import list_runs
from runbooks.spec import load_runbook_text
from tests.datasets.runbook_system import MODEL, RunbookSystem, environment

STEPS = """\
name: steps
description: a traffic change, a long wait, another traffic change
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: first
    type: set_weights
    weights: {"1": 90, "2": 10}
  - name: pause
    type: wait
    duration: 10m
  - name: second
    type: set_weights
    weights: {"1": 50, "2": 50}
on_failure:
  - name: back
    type: set_weights
    weights: start
  - name: settle
    type: wait
    duration: 0s
"""


def run_in_thread(runner: Runner, box: dict[str, object]) -> threading.Thread:
    """Run STEPS in a thread as the console's worker does; the result (or error) lands in box."""

    def body() -> None:
        try:
            box["result"] = runner.run(load_runbook_text(STEPS, "steps.yaml"), {"model": MODEL})
        except KeyboardInterrupt as error:
            box["error"] = error

    thread = threading.Thread(target=body)
    thread.start()
    return thread


def wait_for_the_wait(tmp_path: Path) -> None:
    """Until the persisted run is in its wait step."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        runs = list_runs(tmp_path)
        if runs and runs[0].steps[1].status == "running":
            return
        time.sleep(0.02)
    raise AssertionError("the run never reached its wait")


def test_abort_mid_wait_stops_at_once_and_runs_on_failure(tmp_path: Path) -> None:
    system = RunbookSystem()
    control = RunControl()
    env, lines = environment(system, tmp_path, sleep=control.sleep)
    env.checkpoint = control.checkpoint
    box: dict[str, object] = {}
    thread = run_in_thread(Runner(env), box)
    wait_for_the_wait(tmp_path)
    started = time.monotonic()
    control.abort("the abort key")
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 2, "a 10 min wait was cut"
    result = box["result"]
    assert result.status == "failed" and "aborted by" in result.reason, lines  # type: ignore[attr-defined]
    (state,) = list_runs(tmp_path)
    assert [r.status for r in state.steps] == ["done", "failed", "pending"]
    assert [r.status for r in state.failure_steps] == ["done", "done"], "on_failure ran in full"
    assert system.weights == {"1": 100}, "the failure step put the split back"
    assert "set_weights {'1': 50, '2': 50}" not in system.calls


def test_abort_between_steps_runs_on_failure(tmp_path: Path) -> None:
    system = RunbookSystem()
    control = RunControl()
    control.abort("before anything")
    env, _ = environment(system, tmp_path)
    env.checkpoint = control.checkpoint
    result = Runner(env).run(load_runbook_text(STEPS, "steps.yaml"), {"model": MODEL})
    assert result.status == "failed" and "before anything" in result.reason
    (state,) = list_runs(tmp_path)
    assert [r.status for r in state.steps] == ["pending", "pending", "pending"]
    assert system.weights == {"1": 100} and not any("90" in c for c in system.calls)


def test_interrupt_leaves_the_run_resumable(tmp_path: Path) -> None:
    system = RunbookSystem()
    control = RunControl()
    env, _ = environment(system, tmp_path, sleep=control.sleep)
    env.checkpoint = control.checkpoint
    box: dict[str, object] = {}
    thread = run_in_thread(Runner(env), box)
    wait_for_the_wait(tmp_path)
    control.interrupt("the console closed")
    thread.join(5)
    assert isinstance(box.get("error"), KeyboardInterrupt)
    (state,) = list_runs(tmp_path)
    assert state.status == "interrupted"
    assert [r.status for r in state.steps] == ["done", "interrupted", "pending"]
    assert system.weights == {"1": 90, "2": 10}, "an interrupt runs no failure step"
    resumed_env, _ = environment(system, tmp_path)
    reverted = Runner(resumed_env).revert(state.run_id)
    assert reverted.status == "reverted" and system.weights == {"1": 100}


def test_an_interrupt_outranks_an_abort() -> None:
    control = RunControl()
    control.interrupt("closed")
    control.abort("key")
    assert control.requested == "interrupt"
    with pytest.raises(KeyboardInterrupt):
        control.checkpoint()
