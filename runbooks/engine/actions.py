"""What each step type does when it runs: the registry of step actions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runbooks.engine import conditions, live
from runbooks.engine.live import StepFailed
from runbooks.engine.step import Outcome, StepCall
from runbooks.engine.traffic import do_promote, do_rollback, do_set_weights, model_weights
from runbooks.spec.templating import parse_duration

__all__ = ["ACTIONS", "Outcome", "StepCall"]

TERMINAL_JOB = ("succeeded", "failed", "cancelled")


def _loaded(call: StepCall) -> dict[str, str]:
    """Version → state as the server holds them."""
    status = call.env.get("serving").status(call.model)
    return {str(v.version): str(v.state) for v in status.versions}


def do_load(call: StepCall) -> Outcome:
    """Load (and warm up) a version; it takes no traffic until weighted."""
    return _load_or_unload(call, "load")


def do_unload(call: StepCall) -> Outcome:
    """Unload a version that takes no traffic."""
    return _load_or_unload(call, "unload")


def _load_or_unload(call: StepCall, action: str) -> Outcome:
    """Shared body of load and unload."""
    from backends.capabilities import supports
    from backends.contracts import SupportsLoad

    serving = call.env.get("serving")
    if not supports(serving, SupportsLoad):
        raise StepFailed(f"the serving backend of this context cannot {action} versions")
    version = live.resolve_version(call.env, call.model, call.fields["version"])
    if action == "unload" and model_weights(call).get(version, 0):
        raise StepFailed(f"v{version} still takes traffic; move its weight first")
    before = _loaded(call)
    if action == "load" and before.get(version) == "ready":
        message = f"{call.model}: v{version} is already loaded (ready); nothing to do"
        return Outcome("ok", message, outputs={"version": version, "skipped": True})
    getattr(serving, action)(call.model, version)
    after = _loaded(call)
    message = f"{call.model}: {action} v{version} ({before.get(version, 'absent')} → "
    message += f"{after.get(version, 'absent')})"
    return Outcome("ok", message, {"versions": before}, {"versions": after}, {"version": version})


def do_wait(call: StepCall) -> Outcome:
    """Pause for a while; a resumed wait only waits what is left of it."""
    seconds = parse_duration(call.fields["duration"])
    elapsed = 0.0
    if call.started_at:
        elapsed = (datetime.now(UTC) - datetime.fromisoformat(call.started_at)).total_seconds()
    left = max(0.0, seconds - max(0.0, elapsed))
    call.env.sleep(left)
    return Outcome("ok", f"waited {seconds:g} s ({left:.1f} s in this attempt)")


def do_check(call: StepCall) -> Outcome:
    """Conditions that must hold, or retraining triggers of which one must fire."""
    otherwise = str(call.fields.get("otherwise", "finish" if "triggers" in call.fields else "fail"))
    if "triggers" in call.fields:
        results = [
            conditions.evaluate_trigger(call.env, call.model, t) for t in call.fields["triggers"]
        ]
        for result in results:
            call.env.out(f"    {result.line()}")
        readings = {r.metric: r.value for r in results}
        fired = [r.metric for r in results if r.fires]
        if fired:
            message = f"triggers fired: {', '.join(fired)}"
            return Outcome("ok", message, after={"triggers": readings}, outputs={"fired": fired})
        return _otherwise(otherwise, "no trigger fired", {"triggers": readings})
    measured = [conditions.evaluate(call.env, call.model, c) for c in call.fields["conditions"]]
    for one in measured:
        call.env.out(f"    {one.line()}")
    readings = {m.name: m.value for m in measured}
    failed = [m.line() for m in measured if m.verdict == "fail"]
    if failed:
        return _otherwise(otherwise, "; ".join(failed), {"readings": readings})
    unsure = [m.line() for m in measured if m.verdict == "inconclusive"]
    if unsure:
        return _inconclusive(call, "; ".join(unsure), {"readings": readings})
    return Outcome("ok", "all conditions hold", after={"readings": readings})


def _otherwise(otherwise: str, reason: str, after: dict[str, Any]) -> Outcome:
    """A check that does not hold: fail the run, or finish it with nothing left to do."""
    if otherwise == "finish":
        return Outcome("finish", f"{reason}: nothing to do", after=after)
    return Outcome("failed", reason, after=after)


def _inconclusive(call: StepCall, reason: str, after: dict[str, Any]) -> Outcome:
    """No verdict: a human decides; without one the run pauses until resumed or reverted."""
    env = call.env
    if env.confirmer.interactive():
        if env.confirmer.confirm(f"Inconclusive ({reason}). Continue anyway? [y/N]"):
            return Outcome("ok", f"inconclusive, continued by {env.user}: {reason}", after=after)
        return Outcome("failed", f"inconclusive, aborted by {env.user}: {reason}", after=after)
    return Outcome("paused", f"inconclusive: {reason}", after=after)


def do_analysis(call: StepCall) -> Outcome:
    """Measure every interval for `count` times; too many failures abort, doubt pauses."""
    fields = call.fields
    count = max(1, int(fields.get("count", 3)))
    interval = parse_duration(fields.get("interval", "30s"))
    failure_limit = int(fields.get("failure_limit", 0))
    inconclusive_limit = int(fields.get("inconclusive_limit", 0))
    failures: list[str] = []
    doubts: list[str] = []
    history: list[dict[str, Any]] = []
    for index in range(count):
        if index:
            call.env.sleep(interval)
        measured = [conditions.evaluate(call.env, call.model, c) for c in fields["conditions"]]
        history.append({m.name: m.value for m in measured})
        bad = [m.line() for m in measured if m.verdict == "fail"]
        unsure = [m.line() for m in measured if m.verdict == "inconclusive"]
        verdict = "fail" if bad else "inconclusive" if unsure else "pass"
        call.env.out(f"    measurement {index + 1}/{count}: {verdict}")
        for one in measured:
            call.env.out(f"      {one.line()}")
        if bad:
            failures.append("; ".join(bad))
        elif unsure:
            doubts.append("; ".join(unsure))
        if len(failures) > failure_limit:
            reason = (
                f"analysis failed: {len(failures)} failed measurement(s) > failure limit "
                f"{failure_limit}: {failures[-1]}"
            )
            return Outcome("failed", reason, after={"measurements": history})
    good = count - len(failures) - len(doubts)
    tally = (
        f"{good}/{count} measurement(s) good, {len(doubts)} inconclusive, {len(failures)} failed"
    )
    if len(doubts) > inconclusive_limit:
        return _inconclusive(
            call,
            f"{tally}; {len(doubts)} inconclusive > limit {inconclusive_limit}: {doubts[-1]}",
            {"measurements": history},
        )
    if good == 0:
        return _inconclusive(
            call, f"{tally}: no measurement had data to pass on", {"measurements": history}
        )
    return Outcome("ok", f"analysis passed: {tally}", after={"measurements": history})


def do_confirm(call: StepCall) -> Outcome:
    """Ask a human to go on: y/N, or typing the model name."""
    env = call.env
    message = str(call.fields["message"])
    if env.assume_yes:
        return Outcome("ok", f"confirmed by --yes: {message}")
    require = call.model if call.fields.get("require") == "name" else None
    prompt = f"{message} " + (f"Type {require!r} to confirm:" if require else "[y/N]")
    if env.confirmer.interactive() and env.confirmer.confirm(prompt, require=require):
        return Outcome("ok", f"confirmed by {env.user}: {message}")
    return Outcome("failed", f"not confirmed: {message}")


def do_retrain(call: StepCall) -> Outcome:
    """Start a retraining job and, unless told not to, follow it until it ends."""
    trigger = call.env.get("retrain")
    params = dict(call.fields.get("params", {}))
    job = trigger.start(call.model, str(call.fields["reason"]), params)
    call.env.out(f"    retraining job {job.job_id} started ({job.status})")
    outputs: dict[str, Any] = {"job_id": job.job_id}
    if not call.fields.get("wait", True):
        return Outcome("ok", f"retraining job {job.job_id} started", outputs=outputs)
    deadline = time.monotonic() + parse_duration(call.fields.get("timeout", "30m"))
    shown = -1.0
    try:
        while job.status not in TERMINAL_JOB:
            if time.monotonic() > deadline:
                trigger.cancel(job.job_id)
                raise StepFailed(f"retraining job {job.job_id} timed out and was cancelled")
            call.env.sleep(1.0)
            job = trigger.job(job.job_id)
            if job.progress - shown >= 0.1:
                shown = job.progress
                call.env.out(f"    {job.job_id}: {job.status} {job.progress:.0%} {job.message}")
    except KeyboardInterrupt:
        trigger.cancel(job.job_id)
        raise
    if job.status != "succeeded":
        raise StepFailed(f"retraining job {job.job_id} {job.status}: {job.message}")
    outputs["new_version"] = job.new_version
    message = f"retraining job {job.job_id} registered v{job.new_version} as challenger"
    return Outcome("ok", message, after={"job": job.job_id}, outputs=outputs)


def do_annotate(call: StepCall) -> Outcome:
    """Write a note on the incident timeline."""
    from backends.contracts import TimelineEvent

    event = TimelineEvent(
        at=datetime.now(UTC),
        kind=str(call.fields.get("kind", "note")),
        layer=call.fields.get("layer", "model"),
        summary=str(call.fields["message"]),
        model=call.model or None,
        source=f"runbook:{call.runbook}",
        detail={"run_id": call.run_id, "step": call.name},
    )
    call.env.get("incidents").add_event(event)
    return Outcome("ok", f"note on the timeline: {event.summary}")


def do_notify(call: StepCall) -> Outcome:
    """Tell people: a line on stdout, or a JSON post to a webhook (token from the environment)."""
    message = str(call.fields["message"])
    if call.fields.get("channel", "stdout") == "stdout":
        call.env.out(f"[notify] {message}")
        return Outcome("ok", "notified on stdout")
    import httpx

    headers = {}
    token_env = call.fields.get("token_env")
    if token_env and os.environ.get(str(token_env)):
        headers["Authorization"] = f"Bearer {os.environ[str(token_env)]}"
    body = {"text": message, "runbook": call.runbook, "run_id": call.run_id}
    try:
        response = httpx.post(str(call.fields["url"]), json=body, headers=headers, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as error:
        return Outcome("ok", f"notification not delivered ({type(error).__name__}); run goes on")
    return Outcome("ok", "notified the webhook")


ACTIONS: dict[str, Callable[[StepCall], Outcome]] = {
    "set_weights": do_set_weights,
    "rollback": do_rollback,
    "promote": do_promote,
    "load": do_load,
    "unload": do_unload,
    "wait": do_wait,
    "check": do_check,
    "analysis": do_analysis,
    "confirm": do_confirm,
    "retrain": do_retrain,
    "annotate": do_annotate,
    "notify": do_notify,
}
