"""The gate's safety cases from the fault probe: read-only, restores, one run per model."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from backends.audit_chain import head_of
from backends.contracts import EndpointStatus
from runbooks.engine import Runner
from runbooks.engine.state import load
from runbooks.library import load as bundled
from runbooks.spec import load_runbook_text
from tests.datasets.runbook_system import (
    MODEL,
    CompareAndSetSystem,
    RunbookSystem,
    environment,
)

HEALTHY = {"errors_total": 1.0, "requests_total": 1000.0, "stage_latency_ms:p0.99": 40.0}

WAIT_THEN_FAIL = """\
name: wait-then-fail
description: a wait, then a check that fails; no on_failure
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: pause
    type: wait
    duration: 5s
  - name: must-hold
    type: check
    conditions: [{metric: errors_total, max: 0}]
"""


def metrics(values: Mapping[str, float | None]):
    """A metric function answering from a table (the same for every version)."""
    return lambda name, labels: values.get(name)


def test_read_only_run_never_writes_a_restore(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 100}, metric=metrics({"errors_total": 5.0}))

    def someone_else_changes_the_split(seconds: float) -> None:
        system.weights = {"1": 70, "2": 30}

    env, lines = environment(system, tmp_path, read_only=True, sleep=someone_else_changes_the_split)
    result = Runner(env).run(load_runbook_text(WAIT_THEN_FAIL), {"model": MODEL})
    assert (result.status, result.exit_code) == ("failed", 1), lines
    assert system.weights == {"1": 70, "2": 30}, "the other operator's split stays"
    assert not [c for c in system.calls if c.startswith("set_weights")]
    assert all(r.step != "restore-weights" for r in system.audit)


def test_a_run_that_changed_nothing_restores_nothing(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 100}, metric=metrics({"errors_total": 5.0}))

    def someone_else_changes_the_split(seconds: float) -> None:
        system.weights = {"1": 70, "2": 30}

    env, _ = environment(system, tmp_path, sleep=someone_else_changes_the_split)
    result = Runner(env).run(load_runbook_text(WAIT_THEN_FAIL), {"model": MODEL})
    assert result.status == "failed"
    assert system.weights == {"1": 70, "2": 30}
    assert load(tmp_path, result.run_id).failure_steps == []


def test_an_injected_step_passes_the_gate_too(tmp_path: Path) -> None:
    from runbooks.engine import gate
    from runbooks.engine.environment import RunbookRefused
    from runbooks.spec.model import Step

    env, _ = environment(RunbookSystem(), tmp_path, read_only=True)
    injected = Step("restore-weights", "set_weights", {"weights": "start"})
    try:
        gate.check_step(env, injected)
    except RunbookRefused as refusal:
        assert "read-only" in str(refusal) and "restore-weights" in str(refusal)
    else:
        raise AssertionError("a mutating step ran on a read-only context")


def test_a_restore_does_not_overwrite_a_change_made_since(tmp_path: Path) -> None:
    readings = iter([0.0] + [500.0] * 100)
    system = RunbookSystem(
        metric=lambda name, labels: next(readings) if "error" in name else 1000.0
    )

    def someone_else_moves_it(seconds: float) -> None:
        if system.weights == {"1": 95, "2": 5}:
            system.weights = {"1": 60, "2": 40}

    env, lines = environment(
        system, tmp_path, drift=lambda m, f, w: 0.0, sleep=someone_else_moves_it
    )
    result = Runner(env).run(bundled("canary"), {"model": MODEL})
    assert result.status == "failed", lines
    assert system.weights == {"1": 60, "2": 40}, "the later change is not overwritten"
    state = load(tmp_path, result.run_id)
    revert = state.failure_steps[0]
    assert revert.status == "failed" and "someone else changed it" in revert.message
    note = system.events[-1].summary
    assert "putting the weights back: failed" in note and "reverted" not in note


def test_compare_and_set_uses_the_generation_not_only_the_weights(tmp_path: Path) -> None:
    readings = iter([0.0] + [500.0] * 100)
    system = CompareAndSetSystem(
        metric=lambda name, labels: next(readings) if "error" in name else 1000.0
    )

    def same_split_new_generation(seconds: float) -> None:
        system.set_weights(MODEL, {"1": 95, "2": 5})

    env, _ = environment(
        system, tmp_path, drift=lambda m, f, w: 0.0, sleep=same_split_new_generation
    )
    result = Runner(env).run(bundled("canary"), {"model": MODEL, "measurements": "2"})
    assert result.status == "failed"
    state = load(tmp_path, result.run_id)
    assert "generation" in state.failure_steps[0].message
    assert system.weights == {"1": 95, "2": 5}
    assert "if_generation 1" in system.calls, "the forward change was compare-and-set"


def test_a_canary_stops_when_someone_else_rolls_back_during_it(tmp_path: Path) -> None:
    system = CompareAndSetSystem(metric=metrics(HEALTHY))

    def operator_rolls_back(seconds: float) -> None:
        if system.weights != {"1": 100}:
            system.rollback(MODEL, "1")

    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0, sleep=operator_rolls_back)
    result = Runner(env).run(bundled("canary"), {"model": MODEL})
    assert result.status == "failed"
    assert "someone else changed it" in result.reason
    assert system.weights == {"1": 100}, "the operator's rollback stands"
    assert system.aliases["champion"] == "1"


def test_two_runs_at_once_exactly_one_wins_and_the_other_is_refused(tmp_path: Path) -> None:
    system = RunbookSystem()
    entered, release = threading.Event(), threading.Event()
    original = system.set_weights

    def slow_set(model: str, weights: Mapping[str, int]) -> EndpointStatus:
        entered.set()
        assert release.wait(10)
        return original(model, weights)

    system.set_weights = slow_set  # type: ignore[method-assign]
    env, _ = environment(system, tmp_path)
    first: list[object] = []
    worker = threading.Thread(
        target=lambda: first.append(
            Runner(env).run(bundled("set-traffic"), {"model": MODEL, "weights": "1=90,2=10"})
        )
    )
    worker.start()
    try:
        assert entered.wait(10)
        second = Runner(env).run(bundled("set-traffic"), {"model": MODEL, "weights": "1=50,2=50"})
    finally:
        release.set()
        worker.join(10)
    assert (second.status, second.exit_code) == ("refused", 1)
    assert "is changing fraud-detector right now" in second.reason
    theirs = [(r.step, r.outcome) for r in system.audit if r.run_id == second.run_id]
    assert len(theirs) == 1 and theirs[0][0] == "gate"
    assert theirs[0][1].startswith("refused: run ")
    assert [r.status for r in first] == ["succeeded"]  # type: ignore[attr-defined]
    assert system.weights == {"1": 90, "2": 10}


def test_no_data_is_not_good_and_the_tally_says_so(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({}))
    env, lines = environment(system, tmp_path)
    result = Runner(env).run(bundled("canary"), {"model": MODEL, "inconclusive_limit": "3"})
    assert result.status == "paused"
    assert "0/3 measurement(s) good, 3 inconclusive, 0 failed" in result.reason
    assert not any("3/3" in line and "good" in line for line in lines)


def test_the_tally_counts_inconclusive_apart(tmp_path: Path) -> None:
    readings = iter([None, 1.0, 1.0] * 10)
    system = RunbookSystem(
        metric=lambda name, labels: next(readings) if name == "errors_total" else 1000.0
    )
    env, lines = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    result = Runner(env).run(bundled("canary"), {"model": MODEL, "inconclusive_limit": "1"})
    assert result.status == "succeeded", lines
    assert any("analysis passed: 2/3 measurement(s) good, 1 inconclusive" in x for x in lines)


def test_the_rollback_note_reads_as_a_sentence(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 10, "2": 90})
    env, _ = environment(system, tmp_path)
    Runner(env).run(bundled("rollback"), {"model": MODEL})
    (note,) = [e.summary for e in system.events]
    assert "immediate tier (< 60 s) met" in note and "True" not in note


def test_a_canary_never_lowers_a_live_canary_nor_reloads_its_version(tmp_path: Path) -> None:
    system = RunbookSystem(
        weights={"1": 90, "2": 10}, loaded={"1": "ready", "2": "ready"}, metric=metrics(HEALTHY)
    )
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    texts = {line.step: line.text for line in Runner(env).plan(bundled("canary"), {"model": MODEL})}
    assert texts["load"] == "fraud-detector: v2 is already loaded (ready); nothing to do"
    assert texts["weight-5"].startswith("fraud-detector: skipped: v2 already takes 10%")
    assert texts["weight-25"] == "fraud-detector: weights v1:90% v2:10% → v1:75% v2:25%"
    result = Runner(env).run(bundled("canary"), {"model": MODEL})
    assert result.status == "succeeded"
    assert "load 2" not in system.calls
    sets = [c for c in system.calls if c.startswith("set_weights")]
    assert sets[0] == "set_weights {'1': 75, '2': 25}", "no step back to 5 %"


def test_refused_resume_and_revert_attempts_are_audited(tmp_path: Path) -> None:
    from runbooks.engine.environment import ParameterError
    from runbooks.engine.lock import ModelLock

    system = RunbookSystem(metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    done = Runner(env).run(bundled("set-traffic"), {"model": MODEL, "weights": "1=50,2=50"})
    with pytest.raises(ParameterError, match="only an unfinished run resumes"):
        Runner(env).resume(done.run_id)
    assert system.audit[-1].step == "gate" and system.audit[-1].action == "resume"
    assert system.audit[-1].outcome.startswith("refused: run ")
    holder = ModelLock(tmp_path, MODEL)
    assert holder.acquire({"run_id": "someone-else"}) == ""
    try:
        refused = Runner(env).revert(done.run_id)
    finally:
        holder.release()
    assert refused.status == "refused" and "someone-else" in refused.reason
    assert (system.audit[-1].action, system.audit[-1].run_id) == ("revert", done.run_id)
    assert system.audit[-1].outcome.startswith("refused: run someone-else")
    assert system.weights == {"1": 50, "2": 50}


def test_a_revert_record_holds_the_alias_moves(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    done = Runner(env).run(bundled("promote"), {"model": MODEL})
    assert system.aliases["champion"] == "2"
    assert Runner(env).revert(done.run_id).status == "reverted"
    record = system.audit[-1]
    assert record.step == "revert"
    assert record.before["aliases"] == {MODEL: {"champion": "2"}}
    assert record.after["aliases"] == {MODEL: {"champion": "1"}}
    assert record.after["weights"] == {MODEL: {"1": 100}}


def test_a_revert_leaves_an_alias_someone_else_moved_since(tmp_path: Path) -> None:
    system = RunbookSystem(versions=["1", "2", "3"], metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    done = Runner(env).run(bundled("promote"), {"model": MODEL, "alias": "champion"})
    system.set_alias(MODEL, "champion", "3")
    result = Runner(env).revert(done.run_id)
    assert result.exit_code == 1 and "someone else moved it" in result.reason
    assert system.aliases["champion"] == "3"


def test_every_run_state_file_holds_the_audit_head(tmp_path: Path) -> None:
    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    result = Runner(env).run(bundled("rollback"), {"model": MODEL})
    assert load(tmp_path, result.run_id).audit_head == head_of(system.audit[-1])
    refused, _ = environment(system, tmp_path, read_only=True)
    no = Runner(refused).run(bundled("rollback"), {"model": MODEL})
    assert load(tmp_path, no.run_id).audit_head == head_of(system.audit[-1])


def test_a_run_naming_the_model_in_a_step_takes_that_model_s_lock(tmp_path: Path) -> None:
    from runbooks.engine.lock import ModelLock

    text = """\
name: named
description: no model parameter, the model named in the step
risk: low
steps:
  - type: set_weights
    model: fraud-detector
    weights: {"2": 100}
"""
    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    holder = ModelLock(tmp_path, MODEL)
    assert holder.acquire({"run_id": "canary-run"}) == ""
    try:
        result = Runner(env).run(load_runbook_text(text), {})
    finally:
        holder.release()
    assert result.status == "refused" and "canary-run" in result.reason
    assert system.weights == {"1": 100}
    assert Runner(env).run(load_runbook_text(text), {}).status == "succeeded"


def test_a_refusal_records_a_plausible_duration(tmp_path: Path) -> None:
    from runbooks.engine.lock import ModelLock

    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    holder = ModelLock(tmp_path, MODEL)
    assert holder.acquire({"run_id": "other"}) == ""
    try:
        Runner(env).run(bundled("rollback"), {"model": MODEL})
    finally:
        holder.release()
    assert 0 <= system.audit[-1].duration_s < 5


def test_run_locks_are_all_or_none(tmp_path: Path) -> None:
    from runbooks.engine.lock import ModelLock, RunLocks

    other = ModelLock(tmp_path, "b")
    assert other.acquire({"run_id": "holds-b"}) == ""
    both = RunLocks(tmp_path, {"a", "b"})
    assert "holds-b" in both.acquire({"run_id": "wants-a-and-b"})
    alone = ModelLock(tmp_path, "a")
    assert alone.acquire({"run_id": "wants-a"}) == "", "a was let go when b was refused"
    alone.release()
    other.release()
    assert both.acquire({"run_id": "wants-a-and-b"}) == ""
    both.release()
