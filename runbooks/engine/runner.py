"""Run, resume and revert runbooks: gate first, then each step persisted and audited."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backends.audit_chain import announce_head, head_of
from backends.contracts import BackendError
from backends.processes import process_alive
from runbooks.engine import audit, gate, live, undo
from runbooks.engine import state as store
from runbooks.engine.actions import ACTIONS, Outcome, StepCall
from runbooks.engine.environment import Environment, ParameterError, RunAborted, RunbookRefused
from runbooks.engine.live import StepFailed
from runbooks.engine.lock import RunLocks
from runbooks.engine.plan import PlanLine, plan
from runbooks.engine.state import RunState, StepRecord
from runbooks.spec.loader import coerce, load_runbook_text
from runbooks.spec.model import Runbook, Step
from runbooks.spec.templating import TemplateError, substitute

RESUMABLE = ("running", "interrupted", "paused")
STEP_STATUS = {"ok": "done", "finish": "done", "stored": "done"}


@dataclass(frozen=True)
class RunResult:
    """How a run ended: its id, status, the reason, the exit code, and if nothing was live."""

    run_id: str
    status: str
    reason: str
    exit_code: int
    stored_only: bool = False


class Runner:
    """Executes runbooks in one Environment; the only path by which Vigil changes anything."""

    def __init__(self, env: Environment) -> None:
        """Act in `env`; runs are persisted under env.state_dir."""
        self.env = env

    # --- parameters and plan -------------------------------------------------

    def bind(self, runbook: Runbook, given: Mapping[str, Any]) -> dict[str, Any]:
        """Typed parameter values; `version` parameters are resolved to a concrete version."""
        unknown = [k for k in given if k not in runbook.parameters]
        if unknown:
            known = ", ".join(runbook.parameters) or "none"
            raise ParameterError(f"{runbook.name} has no parameter {unknown[0]!r} (known: {known})")
        values: dict[str, Any] = {}
        for name, param in runbook.parameters.items():
            if name in given:
                raw = given[name]
            elif param.required:
                raise ParameterError(f"{runbook.name} needs -p {name}=... ({param.description})")
            else:
                raw = param.default
            try:
                values[name] = coerce(param.type, raw)
            except TemplateError as error:
                raise ParameterError(f"parameter {name}: {error}") from None
            if param.choices and str(values[name]) not in param.choices:
                choices = ", ".join(param.choices)
                raise ParameterError(f"parameter {name}: {raw!r} is not one of {choices}")
        model = values.get("model")
        for name, param in runbook.parameters.items():
            if param.type == "version" and model:
                try:
                    values[name] = live.resolve_version(self.env, str(model), values[name])
                except StepFailed as error:
                    raise ParameterError(f"parameter {name}: {error}") from None
        return values

    def plan(self, runbook: Runbook, given: Mapping[str, Any]) -> list[PlanLine]:
        """The dry run: each step with what it would change; nothing changes."""
        return plan(self.env, runbook, self.bind(runbook, given))

    # --- run -------------------------------------------------------------------

    def run(self, runbook: Runbook, given: Mapping[str, Any]) -> RunResult:
        """Gate, confirm, snapshot, then execute every step; on failure run on_failure."""
        params = self.bind(runbook, given)
        model = str(params.get("model", ""))
        state = RunState(
            run_id=store.new_run_id(runbook.name),
            runbook=runbook.name,
            source=runbook.source,
            text=runbook.text,
            context=self.env.context,
            params=params,
            user=self.env.user,
            host=self.env.host,
            pid=os.getpid(),
            created_at=store.now_iso(),
            steps=[StepRecord(s.name, s.type) for s in runbook.steps],
        )
        lock = RunLocks(self.env.state_dir, self._models(runbook, params))
        busy = lock.acquire(self._holder(state))
        if busy:
            return self._refuse(state, "run", busy, save=True)
        try:
            refused = self._gate(runbook, state, model, "run")
            if refused is not None:
                return refused
            state.snapshot = self._snapshot(runbook, params)
            store.save(self.env.state_dir, state)
            self.env.out(f"run {state.run_id}: {runbook.name} on {self.env.context}")
            return self._continue(runbook, state)
        finally:
            lock.release()

    def resume(self, run_id: str) -> RunResult:
        """Continue an interrupted or paused run from the first step not done."""
        state = self._load(run_id)
        if state.status not in RESUMABLE:
            reason = f"run {run_id} is {state.status}; only an unfinished run resumes"
            self._refuse(state, "resume", reason)
            raise ParameterError(reason)
        return self._locked(state, "resume", self._resume)

    def _resume(self, state: RunState) -> RunResult:
        """The body of resume, once the run's model lock is held."""
        runbook = load_runbook_text(state.text, state.source)
        model = str(state.params.get("model", ""))
        refused = self._gate(runbook, state, model, "resume", save=False)
        if refused is not None:
            return refused
        for record in state.steps:
            if record.status == "paused":
                record.status = "done"
                record.message += f" (accepted by {self.env.user} on resume)"
        state.status = "running"
        state.pid = os.getpid()
        state.reason = ""
        store.save(self.env.state_dir, state)
        failed = next((r for r in state.steps if r.status == "failed"), None)
        if failed is not None:
            self.env.out(f"resuming {state.run_id}: finishing the failure steps")
            return self._fail(runbook, state, f"step {failed.name} failed: {failed.message}")
        done = sum(r.status == "done" for r in state.steps)
        self.env.out(f"resuming {state.run_id} at step {done + 1}/{len(state.steps)}")
        return self._continue(runbook, state)

    def revert(self, run_id: str) -> RunResult:
        """Undo this run's own changes (weights, aliases) where nobody changed them since."""
        state = self._load(run_id)
        if state.status == "refused" or not state.snapshot:
            reason = f"run {run_id} was {state.status} before it changed anything"
            self._refuse(state, "revert", reason)
            raise ParameterError(reason)
        return self._locked(state, "revert", self._revert)

    def _revert(self, state: RunState) -> RunResult:
        """The body of revert, once the run's model lock is held."""
        runbook = load_runbook_text(state.text, state.source)
        revert_step = Step("revert", "set_weights", {"weights": "start"})
        reverting = Runbook(
            name=runbook.name,
            description=runbook.description,
            risk=runbook.risk,
            parameters=runbook.parameters,
            steps=(revert_step,),
            on_failure=(),
            source=runbook.source,
            text=runbook.text,
        )
        model = str(state.params.get("model", ""))
        refused = self._gate(reverting, state, model, "revert", save=False)
        if refused is not None:
            return refused
        started = time.perf_counter()
        before: dict[str, Any] = {"weights": {}, "aliases": {}}
        after: dict[str, Any] = {"weights": {}, "aliases": {}}
        problems = undo.revert_weights(self.env, state, before["weights"], after["weights"])
        problems += undo.restore_aliases(self.env, state, before["aliases"], after["aliases"])
        state.divergence = undo.divergence(self.env, state)
        outcome = "reverted" if not problems and not state.divergence else "revert incomplete"
        if problems:
            outcome += ": " + "; ".join(problems)
        state.status = "reverted" if outcome == "reverted" else state.status
        state.reason = "; ".join(problems + state.divergence) or "reverted to the state before"
        store.save(self.env.state_dir, state)
        self._audit(state, "revert", "revert", {}, before, after, outcome, started)
        for model in after["weights"]:
            self.env.out(
                f"{model}: weights {live.show(before['weights'][model])} → "
                f"{live.show(after['weights'][model])}"
            )
        undo.report_divergence(self.env, state)
        return RunResult(
            state.run_id, state.status, state.reason, 0 if outcome == "reverted" else 1
        )

    def _locked(
        self, state: RunState, verb: str, body: Callable[[RunState], RunResult]
    ) -> RunResult:
        """Run `body` holding the model's lock; refuse (audited) while another run holds it."""
        running = self._running_elsewhere(state)
        if running:
            return self._refuse(state, verb, running)
        models = set(state.snapshot.get("weights", {})) | set(state.snapshot.get("aliases", {}))
        if state.params.get("model"):
            models.add(str(state.params["model"]))
        lock = RunLocks(self.env.state_dir, models)
        busy = lock.acquire(self._holder(state))
        if busy:
            return self._refuse(state, verb, busy)
        try:
            return body(state)
        finally:
            lock.release()

    def _holder(self, state: RunState) -> dict[str, object]:
        """Who holds a model lock: written into the lock file for the refusal of the next run."""
        return {
            "run_id": state.run_id,
            "runbook": state.runbook,
            "pid": os.getpid(),
            "host": self.env.host,
            "user": self.env.user,
        }

    def _refuse(self, state: RunState, verb: str, reason: str, save: bool = False) -> RunResult:
        """Audit a refusal (the only record of the attempt) and, for a new run, persist it."""
        self._audit(
            state, "gate", verb, state.params, {}, {}, f"refused: {reason}", time.perf_counter()
        )
        if save:
            state.status, state.reason = "refused", reason
            store.save(self.env.state_dir, state)
        return RunResult(state.run_id, "refused", reason, 1)

    def _gate(
        self, runbook: Runbook, state: RunState, model: str, verb: str, save: bool = True
    ) -> RunResult | None:
        """Apply the policy gate; a refusal is audited and persisted, nothing else happens."""
        started = time.perf_counter()
        try:
            gate.check(self.env, runbook, runbook.steps + runbook.on_failure)
            gate.confirm_start(self.env, runbook, model, verb)
        except RunbookRefused as error:
            self._audit(state, "gate", verb, state.params, {}, {}, f"refused: {error}", started)
            if save:
                state.status = "refused"
                state.reason = str(error)
                store.save(self.env.state_dir, state)
            return RunResult(state.run_id, "refused", str(error), 1)
        if not self._audit(state, "gate", verb, state.params, {}, {}, "allowed", started):
            reason = "the audit log cannot be written, so nothing may change"
            return RunResult(state.run_id, "refused", reason, 1)
        return None

    def _continue(self, runbook: Runbook, state: RunState) -> RunResult:
        """Run the remaining steps; handle failure, finish and pause."""
        for step, record in zip(runbook.steps, state.steps, strict=True):
            if record.status == "done":
                continue
            try:
                self.env.checkpoint()
            except RunAborted as stop:
                return self._fail(runbook, state, f"aborted by {self.env.user}: {stop}")
            except KeyboardInterrupt:
                state.status = "interrupted"
                state.reason = f"interrupted before step {step.name}"
                store.save(self.env.state_dir, state)
                self._audit(
                    state, step.name, step.type, {}, {}, {}, "interrupted", time.perf_counter()
                )
                raise
            outcome = self._execute(runbook, state, step, record)
            if outcome.status == "finish":
                return self._end(state, "finished", outcome.message, 0)
            if outcome.status == "paused":
                reason = (
                    f"{outcome.message}; paused: `vigil runbook resume {state.run_id}` to go on "
                    f"or `vigil runbook revert {state.run_id}` to undo"
                )
                return self._end(state, "paused", reason, 1)
            if outcome.status == "failed":
                return self._fail(runbook, state, f"step {step.name} failed: {outcome.message}")
        return self._end(state, "succeeded", "all steps done", 0)

    def _execute(
        self, runbook: Runbook, state: RunState, step: Step, record: StepRecord
    ) -> Outcome:
        """One step: persist it as running, do it, persist and audit what happened."""
        from backends.contracts import BackendError

        record.status = "running"
        record.started_at = record.started_at or store.now_iso()
        store.save(self.env.state_dir, state)
        self.env.out(f"  [{step.name}] {step.type}")
        started = time.perf_counter()
        values = {
            **state.params,
            **state.outputs(),
            "context": self.env.context,
            "run_id": state.run_id,
            "runbook": runbook.name,
        }
        fields: dict[str, Any] = {}
        try:
            gate.check_step(self.env, step)
            fields = substitute(dict(step.fields), values)
            model = str(fields.get("model") or state.params.get("model") or "")
            call = StepCall(
                self.env,
                step.name,
                runbook.name,
                state.run_id,
                model,
                fields,
                state.snapshot,
                record.started_at,
                state.changed,
            )
            outcome = ACTIONS[step.type](call)
        except RunbookRefused as refusal:
            outcome = Outcome("refused", str(refusal))
        except RunAborted as stop:
            outcome = Outcome("failed", f"aborted by {self.env.user}: {stop}")
        except KeyboardInterrupt:
            record.status = "interrupted"
            state.status = "interrupted"
            state.reason = f"interrupted during step {step.name}"
            store.save(self.env.state_dir, state)
            self._audit(state, step.name, step.type, fields, {}, {}, "interrupted", started)
            raise
        except (StepFailed, TemplateError, BackendError, ValueError, KeyError, TypeError) as error:
            outcome = Outcome("failed", str(error) or type(error).__name__)
        state.remember(outcome.changed)
        if outcome.status == "stored":
            state.stored_only = True
        record.duration_s = time.perf_counter() - started
        record.status = STEP_STATUS.get(outcome.status, outcome.status)
        record.before, record.after = outcome.before, outcome.after
        record.message, record.outputs = outcome.message, outcome.outputs
        store.save(self.env.state_dir, state)
        said = outcome.status
        if outcome.status in ("failed", "refused"):
            said = f"{outcome.status}: {outcome.message}"
        elif outcome.status == "stored":
            said = "stored, not live"
        self._audit(
            state, step.name, step.type, fields, outcome.before, outcome.after, said, started
        )
        shown = {"stored": "stored (not live)"}.get(outcome.status, outcome.status)
        self.env.out(f"    {shown}: {outcome.message}")
        if outcome.status == "refused":
            outcome = Outcome("failed", f"refused by the gate: {outcome.message}")
        return outcome

    def _fail(self, runbook: Runbook, state: RunState, reason: str) -> RunResult:
        """Run the on_failure steps (by default: weights back as before), then report drift."""
        self.env.out(f"ABORT: {reason}")
        steps = runbook.on_failure
        if not steps:
            steps = tuple(
                Step("restore-weights", "set_weights", {"weights": "start", "model": model})
                for model in state.changed.get("weights", {})
                if model in state.snapshot.get("weights", {})
            )
        if [r.name for r in state.failure_steps] != [s.name for s in steps]:
            state.failure_steps = [StepRecord(s.name, s.type) for s in steps]
        for step, record in zip(steps, state.failure_steps, strict=True):
            if record.status != "done":
                self._execute(runbook, state, step, record)
        state.divergence = undo.divergence(self.env, state)
        result = self._end(state, "failed", reason, 1)
        undo.report_divergence(self.env, state)
        return result

    def _end(self, state: RunState, status: str, reason: str, code: int) -> RunResult:
        """Persist and audit the end of the run."""
        if state.stored_only:
            reason += "; nothing live changed: the split was only stored for the next server start"
        state.status = status
        state.reason = reason
        store.save(self.env.state_dir, state)
        self._audit(state, "end", "run", {}, {}, {}, status, time.perf_counter())
        self.env.out(f"{status}: {reason}")
        return RunResult(state.run_id, status, reason, code, state.stored_only)

    def _models(self, runbook: Runbook, params: Mapping[str, Any]) -> set[str]:
        """Every model the runbook names: its `model` parameter and literal step models."""
        models = {str(params["model"])} if params.get("model") else set()
        for step in runbook.all_steps():
            named = step.fields.get("model")
            if isinstance(named, str) and "${" not in named:
                models.add(named)
        return models

    def _snapshot(self, runbook: Runbook, params: Mapping[str, Any]) -> dict[str, Any]:
        """The weights and aliases of every model the runbook touches, before it starts."""
        snapshot: dict[str, Any] = {"weights": {}, "aliases": {}}
        for model in sorted(self._models(runbook, params)):
            try:
                snapshot["weights"][model] = live.weights(self.env, model)
            except BackendError as error:
                self.env.out(f"  note: no traffic split of {model} to restore later: {error}")
            try:
                snapshot["aliases"][model] = live.aliases(self.env, model)
            except BackendError as error:
                self.env.out(f"  note: no aliases of {model} recorded: {error}")
        return snapshot

    def _audit(
        self,
        state: RunState,
        step: str,
        action: str,
        params: Mapping[str, Any],
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        outcome: str,
        started: float,
    ) -> bool:
        """One audit record for this run; False (and a warning) when the store refuses it."""
        from backends.contracts import BackendError

        try:
            written = audit.record(
                self.env,
                runbook=state.runbook,
                run_id=state.run_id,
                step=step,
                action=action,
                params=params,
                before=before,
                after=after,
                outcome=outcome,
                duration_s=max(0.0, time.perf_counter() - started),
            )
        except (BackendError, ValueError) as error:
            self.env.out(f"WARNING: audit record for {step} not written: {error}")
            return False
        state.audit_head = head_of(written)
        announce_head(state.audit_head)
        if (self.env.state_dir / f"{state.run_id}.json").exists():
            store.save(self.env.state_dir, state)
        return True

    def _load(self, run_id: str) -> RunState:
        """A persisted run, or a ParameterError naming the run id."""
        try:
            return store.load(self.env.state_dir, run_id)
        except (OSError, ValueError, TypeError) as error:
            raise ParameterError(
                f"no readable run {run_id!r} in {self.env.state_dir}: {error}"
            ) from None

    def _running_elsewhere(self, state: RunState) -> str:
        """Why a run may not be touched: its own process is still alive ("" when it is not)."""
        if (
            state.status == "running" and state.host == self.env.host and process_alive(state.pid)
        ) and state.pid != os.getpid():
            return f"run {state.run_id} is still running (pid {state.pid})"
        return ""
