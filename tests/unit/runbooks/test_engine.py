"""The engine on the in-memory backend: gate, canary analysis, revert, pause, resume, audit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from backends.audit_chain import verify
from runbooks.engine import Runner
from runbooks.engine.state import list_runs, load
from runbooks.library import load as bundled
from tests.datasets.runbook_system import MODEL, RunbookSystem, ScriptedHuman, environment

HEALTHY = {"errors_total": 1.0, "requests_total": 1000.0, "stage_latency_ms:p0.99": 40.0}


def book(name: str):
    """A bundled runbook by name."""
    return bundled(name)


def metrics(values: Mapping[str, float | None]):
    """A metric function answering from a table (the same for every version)."""
    return lambda name, labels: values.get(name)


def test_canary_passes_and_promotes(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))
    env, lines = environment(system, tmp_path, drift=lambda m, f, w: 0.01)
    result = Runner(env).run(book("canary"), {"model": MODEL})
    assert (result.status, result.exit_code) == ("succeeded", 0), lines
    weights = [c for c in system.calls if c.startswith("set_weights")]
    assert weights == [
        "set_weights {'1': 95, '2': 5}",
        "set_weights {'1': 75, '2': 25}",
        "set_weights {'1': 50, '2': 50}",
        "set_weights {'1': 0, '2': 100}",
    ]
    assert system.aliases["champion"] == "2"
    assert system.weights == {"2": 100}
    assert verify(system.audit) == []
    assert [e.kind for e in system.events] == ["canary"]


def test_canary_failing_threshold_reverts_and_says_why(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({**HEALTHY, "errors_total": 200.0}))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.01)
    result = Runner(env).run(book("canary"), {"model": MODEL})
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "analysis-5" in result.reason and "error-rate 0.2" in result.reason
    assert system.weights == {"1": 100}, "on_failure put the weights back"
    assert system.aliases["champion"] == "1"
    state = load(tmp_path, result.run_id)
    assert [r.status for r in state.failure_steps] == ["done", "done"]
    assert state.divergence == []
    outcomes = [r.outcome for r in system.audit]
    assert any(o.startswith("failed: analysis failed") for o in outcomes)


def test_p99_against_baseline_fails_when_the_ratio_is_over(tmp_path: Path) -> None:
    def metric(name: str, labels: Mapping[str, str]) -> float | None:
        if name.endswith(":p0.99"):
            return 100.0 if labels.get("version") == "2" else 40.0
        return 0.0

    system = RunbookSystem(metric=metric)
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.01)
    result = Runner(env).run(book("canary"), {"model": MODEL, "max_p99_ratio": "2"})
    assert result.exit_code == 1
    assert "p99-vs-champion 2.5" in result.reason


def test_failure_limit_tolerates_that_many_failed_measurements(tmp_path: Path) -> None:
    readings = iter([500.0] + [0.0] * 100)
    system = RunbookSystem(
        metric=lambda name, labels: next(readings) if "error" in name else 1000.0
    )
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    result = Runner(env).run(book("canary"), {"model": MODEL, "failure_limit": "1"})
    assert result.status == "succeeded"


def test_inconclusive_without_a_human_pauses_then_resumes(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({}))
    env, _ = environment(system, tmp_path)
    first = Runner(env).run(book("canary"), {"model": MODEL})
    assert (first.status, first.exit_code) == ("paused", 1)
    assert "resume" in first.reason and "no data" in first.reason
    assert system.weights == {"1": 95, "2": 5}, "a pause keeps the canary where it is"
    system.metric = metrics(HEALTHY)
    env2, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    second = Runner(env2).resume(first.run_id)
    assert second.status == "succeeded"
    assert system.weights == {"2": 100}


def test_inconclusive_with_a_human_who_says_no_aborts(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({}))
    human = ScriptedHuman(["fraud-detector", "n"])
    env, _ = environment(system, tmp_path, assume_yes=False, confirmer=human)
    result = Runner(env).run(book("canary"), {"model": MODEL})
    assert result.status == "failed" and "aborted by" in result.reason
    assert system.weights == {"1": 100}
    assert "Type the model name" in human.prompts[0]


def test_read_only_context_refuses_and_changes_nothing(tmp_path: Path) -> None:
    system = RunbookSystem()
    env, _ = environment(system, tmp_path, read_only=True)
    result = Runner(env).run(book("rollback"), {"model": MODEL})
    assert (result.status, result.exit_code) == ("refused", 1)
    assert "read-only" in result.reason and "rollback (rollback)" in result.reason
    assert system.calls == []
    assert system.audit[-1].outcome.startswith("refused: context 'staging' is read-only")


def test_without_terminal_only_yes_confirms(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 50, "2": 50})
    env, _ = environment(system, tmp_path, assume_yes=False)
    result = Runner(env).run(book("rollback"), {"model": MODEL})
    assert result.status == "refused" and "--yes" in result.reason
    assert system.calls == [] and system.weights == {"1": 50, "2": 50}


def test_high_risk_needs_the_model_name_typed(tmp_path: Path) -> None:
    system = RunbookSystem()
    env, _ = environment(system, tmp_path, assume_yes=False, confirmer=ScriptedHuman(["y"]))
    result = Runner(env).run(book("promote"), {"model": MODEL})
    assert result.status == "refused"
    assert system.calls == [] and system.aliases["champion"] == "1"


def test_medium_risk_y_confirms(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 50, "2": 50})
    env, _ = environment(system, tmp_path, assume_yes=False, confirmer=ScriptedHuman(["y"]))
    result = Runner(env).run(book("rollback"), {"model": MODEL})
    assert result.status == "succeeded" and system.weights == {"1": 100}


def test_rollback_is_timed_against_its_tier(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 10, "2": 90})
    env, lines = environment(system, tmp_path)
    result = Runner(env).run(book("rollback"), {"model": MODEL})
    state = load(tmp_path, result.run_id)
    outputs = state.steps[0].outputs
    assert outputs["tier"] == "immediate" and outputs["target_s"] == 60.0
    assert outputs["met"] is True and 0 <= outputs["seconds"] < 60
    assert any("tier immediate: target < 60 s: met" in line for line in lines)


def test_plan_changes_nothing_and_shows_before_and_after(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path)
    lines = Runner(env).plan(book("canary"), {"model": MODEL})
    texts = {line.step: line.text for line in lines}
    assert texts["weight-5"] == "fraud-detector: weights v1:100% → v1:95% v2:5%"
    assert texts["weight-50"] == "fraud-detector: weights v1:75% v2:25% → v1:50% v2:50%"
    assert texts["promote"].startswith("fraud-detector: alias champion 1 → 2")
    assert system.calls == [] and system.audit == []
    assert list_runs(tmp_path) == []


def test_interrupted_run_resumes_and_completes(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0, sleep=interrupt)
    with pytest.raises(KeyboardInterrupt):
        Runner(env).run(book("canary"), {"model": MODEL})
    (state,) = list_runs(tmp_path)
    assert state.status == "interrupted"
    assert [r.status for r in state.steps[:3]] == ["done", "done", "interrupted"]
    env2, lines = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    result = Runner(env2).resume(state.run_id)
    assert result.status == "succeeded", lines
    assert any("resuming" in line and "step 3/9" in line for line in lines)
    assert system.calls.count("load 2") == 1, "steps done before the interruption are not redone"


def test_revert_puts_weights_and_alias_back(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    done = Runner(env).run(book("canary"), {"model": MODEL})
    assert system.aliases["champion"] == "2"
    reverted = Runner(env).revert(done.run_id)
    assert (reverted.status, reverted.exit_code) == ("reverted", 0)
    assert system.weights == {"1": 100} and system.aliases["champion"] == "1"


def test_revert_on_read_only_is_refused(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics(HEALTHY))
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    done = Runner(env).run(book("set-traffic"), {"model": MODEL, "weights": "1=50,2=50"})
    ro, _ = environment(system, tmp_path, read_only=True)
    assert Runner(ro).revert(done.run_id).status == "refused"
    assert system.weights == {"1": 50, "2": 50}


def test_fire_drill_refused_on_prod(tmp_path: Path) -> None:
    system = RunbookSystem()
    env, _ = environment(system, tmp_path, context="prod-eu")
    result = Runner(env).run(book("fire-drill"), {"model": MODEL})
    assert result.status == "refused" and "non-production" in result.reason
    assert system.calls == []


def test_fire_drill_rolls_back_and_forward_and_reports_times(tmp_path: Path) -> None:
    system = RunbookSystem(weights={"1": 80, "2": 20})
    env, lines = environment(system, tmp_path)
    result = Runner(env).run(book("fire-drill"), {"model": MODEL})
    assert result.status == "succeeded"
    assert system.calls == ["rollback 1", "set_weights {'1': 80, '2': 20}"]
    report = next(line for line in lines if line.startswith("[notify] fire drill"))
    assert "rollback to v1 took" in report and "roll forward took" in report


def test_retrain_on_drift_does_nothing_when_no_trigger_fires(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({"accuracy": 0.94}))
    env, lines = environment(system, tmp_path, drift=lambda m, f, w: 0.05)
    result = Runner(env).run(book("retrain-on-drift"), {"model": MODEL})
    assert (result.status, result.exit_code) == ("finished", 0)
    assert "no trigger fired" in result.reason
    assert system.calls == []
    assert any("feature_drift_psi 0.05 vs threshold 0.2: quiet" in line for line in lines)


def test_retrain_on_drift_retrains_and_canaries_the_new_version(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({**HEALTHY, "accuracy": 0.80}))
    drift = lambda model, feature, window: 0.3 if feature == "amount" else 0.01  # noqa: E731
    env, lines = environment(system, tmp_path, drift=drift)
    result = Runner(env).run(book("retrain-on-drift"), {"model": MODEL, "psi_threshold": "0.5"})
    assert result.status == "succeeded", lines
    assert any("accuracy 0.15 vs threshold 0.05: fires" in line for line in lines)
    assert system.calls[0].startswith("retrain drift: ['accuracy']")
    assert system.aliases["champion"] == "3" and system.weights == {"3": 100}


def test_secrets_never_reach_the_audit(tmp_path: Path) -> None:
    from runbooks.spec import load_runbook_text

    text = """\
name: secretive
description: d
risk: low
parameters:
  api_token: {type: string, default: hunter2}
steps:
  - type: notify
    message: hello
    token_env: ${api_token}
"""
    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    Runner(env).run(load_runbook_text(text), {})
    assert all("hunter2" not in repr(record) for record in system.audit)


def test_unknown_or_missing_parameters_are_rejected(tmp_path: Path) -> None:
    from runbooks.engine.environment import ParameterError

    env, _ = environment(RunbookSystem(), tmp_path)
    with pytest.raises(ParameterError, match="needs -p model"):
        Runner(env).run(book("rollback"), {})
    with pytest.raises(ParameterError, match="no parameter 'modle'"):
        Runner(env).run(book("rollback"), {"modle": MODEL})
    with pytest.raises(ParameterError, match="no version or alias 'v9'"):
        Runner(env).run(book("rollback"), {"model": MODEL, "to": "v9"})


def test_a_second_run_on_the_same_model_waits_for_the_first(tmp_path: Path) -> None:
    import subprocess
    import sys

    system = RunbookSystem(weights={"1": 50, "2": 50})
    env, _ = environment(system, tmp_path)
    holder = (
        "import sys, time; from pathlib import Path; from runbooks.engine.lock import ModelLock; "
        f"lock = ModelLock(Path({str(tmp_path)!r}), {MODEL!r}); "
        "assert lock.acquire({'run_id': 'other-run', 'runbook': 'canary', 'pid': 1, "
        "'host': 'h'}) == ''; print('locked', flush=True); time.sleep(30)"
    )
    other = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "locked"
        result = Runner(env).run(book("rollback"), {"model": MODEL})
        assert result.status == "refused" and "other-run" in result.reason
        assert system.calls == [] and system.weights == {"1": 50, "2": 50}
    finally:
        other.kill()
        other.wait()
    assert Runner(env).run(book("rollback"), {"model": MODEL}).status == "succeeded"


def test_a_refused_resume_leaves_the_run_resumable(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({}))
    env, _ = environment(system, tmp_path)
    paused = Runner(env).run(book("canary"), {"model": MODEL})
    assert paused.status == "paused"
    no_yes, _ = environment(system, tmp_path, assume_yes=False)
    assert Runner(no_yes).resume(paused.run_id).status == "refused"
    assert load(tmp_path, paused.run_id).status == "paused"
    system.metric = metrics(HEALTHY)
    env2, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    assert Runner(env2).resume(paused.run_id).status == "succeeded"


def test_custom_failure_steps_run_even_without_a_traffic_snapshot(tmp_path: Path) -> None:
    from runbooks.spec import load_runbook_text

    text = """\
name: failing
description: d
risk: low
steps:
  - type: check
    model: fraud-detector
    conditions: [{metric: errors_total, max: 0}]
on_failure:
  - name: tell
    type: notify
    message: it failed
"""
    system = RunbookSystem(metric=metrics({"errors_total": 5.0}))
    env, lines = environment(system, tmp_path)
    result = Runner(env).run(load_runbook_text(text), {})
    assert result.status == "failed" and "errors_total 5 vs max 0: fail" in result.reason
    assert "[notify] it failed" in lines


def test_a_run_interrupted_while_reverting_finishes_reverting_on_resume(tmp_path: Path) -> None:
    system = RunbookSystem(metric=metrics({**HEALTHY, "errors_total": 200.0}))
    original = system.set_weights
    calls = {"n": 0}

    def flaky(model: str, weights: Mapping[str, int]):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(model, weights)

    system.set_weights = flaky  # type: ignore[method-assign]
    env, _ = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    with pytest.raises(KeyboardInterrupt):
        Runner(env).run(book("canary"), {"model": MODEL})
    (state,) = list_runs(tmp_path)
    assert state.status == "interrupted" and system.weights == {"1": 95, "2": 5}
    assert [r.status for r in state.failure_steps] == ["interrupted", "pending"]
    result = Runner(env).resume(state.run_id)
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "step analysis-5 failed" in result.reason
    assert system.weights == {"1": 100}
    assert "load 2" in system.calls and system.calls.count("load 2") == 1
    assert [r.status for r in load(tmp_path, state.run_id).failure_steps] == ["done", "done"]


def test_abort_is_not_undo_the_difference_is_reported(tmp_path: Path) -> None:
    from backends.contracts import BackendError

    system = RunbookSystem(metric=metrics({**HEALTHY, "errors_total": 200.0}))
    original = system.set_weights
    calls = {"n": 0}

    def failing_restore(model: str, weights: Mapping[str, int]):
        calls["n"] += 1
        if calls["n"] > 1:
            raise BackendError("admin API down")
        return original(model, weights)

    system.set_weights = failing_restore  # type: ignore[method-assign]
    env, lines = environment(system, tmp_path, drift=lambda m, f, w: 0.0)
    result = Runner(env).run(book("canary"), {"model": MODEL})
    assert result.status == "failed"
    state = load(tmp_path, result.run_id)
    assert state.failure_steps[0].status == "failed"
    assert state.divergence == [
        "fraud-detector: live weights v1:95% v2:5% differ from before the run (v1:100%)"
    ]
    assert "live state differs from before the run (abort is not undo):" in lines


def test_a_refused_run_has_nothing_to_revert(tmp_path: Path) -> None:
    from runbooks.engine.environment import ParameterError

    env, _ = environment(RunbookSystem(), tmp_path, read_only=True)
    refused = Runner(env).run(book("rollback"), {"model": MODEL})
    writable, _ = environment(RunbookSystem(), tmp_path)
    with pytest.raises(ParameterError, match="before it changed anything"):
        Runner(writable).revert(refused.run_id)


def test_rollback_to_the_previous_champion_after_a_promote(tmp_path: Path) -> None:
    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    assert Runner(env).run(book("promote"), {"model": MODEL}).status == "succeeded"
    assert system.aliases["champion"] == "2" and system.weights == {"2": 100}
    result = Runner(env).run(book("rollback"), {"model": MODEL, "to": "previous-champion"})
    assert result.status == "succeeded"
    assert system.weights == {"1": 100}
    fresh = RunbookSystem()
    env2, _ = environment(fresh, tmp_path / "other")
    from runbooks.engine.environment import ParameterError

    with pytest.raises(ParameterError, match="no version held champion before v1"):
        Runner(env2).run(book("rollback"), {"model": MODEL, "to": "previous-champion"})
