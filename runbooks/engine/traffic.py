"""The traffic steps: set_weights (and its restore), rollback and promote, compare-and-set."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from runbooks.engine import live
from runbooks.engine.environment import Environment
from runbooks.engine.live import StepFailed
from runbooks.engine.step import Outcome, StepCall
from runbooks.spec.model import ROLLBACK_TIERS

if TYPE_CHECKING:
    from backends.contracts import EndpointStatus

NOT_LIVE = "stored for the next server start; nothing live changed (no server runs)"


def model_weights(call: StepCall) -> dict[str, int]:
    """The live split of the step's model."""
    return live.weights(call.env, call.model)


def _mine(call: StepCall) -> EndpointStatus | None:
    """The split this run last left on the step's model, or None when it has not changed it."""
    saved = call.changed.get("weights", {}).get(call.model)
    return live.remembered(call.model, saved) if isinstance(saved, dict) else None


def _guarded(call: StepCall) -> EndpointStatus:
    """The live split; StepFailed when someone else changed it since this run last did."""
    now = live.split(call.env, call.model)
    mine = _mine(call)
    if mine is not None and not live.same_split(now, mine):
        raise StepFailed(
            f"{call.model}: the split is now {live.describe(now)}, not {live.describe(mine)} "
            "as this run left it: someone else changed it; this run stops and changes nothing"
        )
    return now


def _traffic_outcome(
    call: StepCall, message: str, before: EndpointStatus, after: EndpointStatus, **outputs: Any
) -> Outcome:
    """A traffic change: ok when it is live, `stored` (said plainly) when no server runs."""
    status = "ok" if after.live else "stored"
    if not after.live:
        message += f"; {NOT_LIVE}"
    return Outcome(
        status,
        message,
        _split_record(before),
        _split_record(after),
        {**outputs, "live": after.live},
        {"weights": {call.model: live.record_of(after)}},
    )


def _split_record(status: EndpointStatus) -> dict[str, Any]:
    """A split for the audit: its weights, and its generation when the server has one."""
    record: dict[str, Any] = {"weights": live.nonzero(status.weights)}
    if status.generation is not None:
        record["generation"] = status.generation
    return record


def do_set_weights(call: StepCall) -> Outcome:
    """Set the traffic split (or put back the split from before the run)."""
    if call.fields["weights"] == "start":
        return _restore(call)
    before = _guarded(call)
    target = target_weights(call.env, call.model, call.fields["weights"], call.snapshot)
    rollout = call.fields.get("rollout")
    if rollout is not None:
        version = live.resolve_version(call.env, call.model, rollout)
        has, gets = int(before.weights.get(version, 0)), target.get(version, 0)
        if has >= gets:
            message = (
                f"{call.model}: v{version} already takes {has}% (this step gives it {gets}%); "
                f"weights stay {live.show(before.weights)}"
            )
            return Outcome("ok", message, outputs={"skipped": True})
    started = time.perf_counter()
    after = live.apply_weights(call.env, call.model, target, before)
    seconds = round(time.perf_counter() - started, 4)
    message = (
        f"{call.model}: weights {live.show(before.weights)} → {live.show(after.weights)} "
        f"in {seconds} s"
    )
    return _traffic_outcome(call, message, before, after, seconds=seconds)


def _restore(call: StepCall) -> Outcome:
    """Put back the split from before the run, but only over this run's own last change."""
    mine = _mine(call)
    if mine is None:
        message = f"{call.model}: this run did not change the split; nothing to restore"
        return Outcome("ok", message, outputs={"restored": False})
    target = target_weights(call.env, call.model, "start", call.snapshot)
    now = live.split(call.env, call.model)
    if not live.same_split(now, mine):
        raise StepFailed(
            f"{call.model}: not restored: the split is now {live.describe(now)}, not "
            f"{live.describe(mine)} as this run left it; someone else changed it since, and "
            "a restore only undoes this run's own change"
        )
    started = time.perf_counter()
    after = live.apply_weights(call.env, call.model, target, mine)
    seconds = round(time.perf_counter() - started, 4)
    message = (
        f"{call.model}: weights {live.show(now.weights)} → {live.show(after.weights)} "
        f"(as before the run) in {seconds} s"
    )
    return _traffic_outcome(call, message, now, after, seconds=seconds, restored=True)


def target_weights(
    env: Environment, model: str, spec: Any, snapshot: dict[str, Any]
) -> dict[str, int]:
    """The split a set_weights step asks for, with version references resolved."""
    if spec == "start":
        saved = snapshot.get("weights", {}).get(model)
        if not isinstance(saved, dict):
            raise StepFailed(f"no weights of {model} were recorded before the run")
        return {str(k): int(v) for k, v in saved.items()}
    if not isinstance(spec, dict):
        raise StepFailed(f"weights must be a mapping or `start`, not {spec!r}")
    target: dict[str, int] = {}
    for ref, weight in spec.items():
        try:
            value = int(weight)
        except (TypeError, ValueError):
            raise StepFailed(f"weight of {ref} is not a whole percent: {weight!r}") from None
        version = live.resolve_version(env, model, ref)
        target[version] = target.get(version, 0) + value
    return target


def do_rollback(call: StepCall) -> Outcome:
    """Send all traffic to one version at once, timed against its rollback tier."""
    from backends.capabilities import supports
    from backends.contracts import SupportsCompareAndSet, SupportsRollback, TrafficConflict

    to = live.resolve_version(call.env, call.model, call.fields.get("to", "champion"))
    tier = str(call.fields.get("tier", "immediate"))
    if tier not in ROLLBACK_TIERS:
        raise StepFailed(f"unknown rollback tier {tier!r} (immediate, rapid or delayed)")
    target_s = ROLLBACK_TIERS[tier]
    before = _guarded(call)
    serving = call.env.get("serving")
    started = time.perf_counter()
    try:
        if supports(serving, SupportsCompareAndSet):
            after = serving.rollback_if(call.model, to, before)
        elif supports(serving, SupportsRollback):
            after = serving.rollback(call.model, to)
        else:
            after = live.apply_weights(call.env, call.model, {to: 100}, before)
    except TrafficConflict as conflict:
        raise StepFailed(live.conflict_message(call.model, before, conflict)) from None
    seconds = round(time.perf_counter() - started, 4)
    met = after.live and seconds < target_s
    verdict = f"{tier} tier (< {target_s:g} s) {'met' if met else 'missed'}"
    timed = f"tier {tier}: target < {target_s:g} s: {'met' if met else 'MISSED'}"
    if not after.live:
        verdict = timed = "not live, so no tier is met: the split was only stored"
    message = (
        f"{call.model}: rolled back {live.show(before.weights)} → {live.show(after.weights)} "
        f"in {seconds:.3f} s ({timed})"
    )
    outcome = _traffic_outcome(
        call,
        message,
        before,
        after,
        seconds=seconds,
        tier=tier,
        target_s=target_s,
        met=met,
        verdict=verdict,
        version=to,
    )
    if live.nonzero(after.weights) != {to: 100}:
        outcome.status = "failed"
        outcome.message = (
            f"rollback asked for v{to}:100% but the server holds {live.show(after.weights)}"
        )
    return outcome


def do_promote(call: StepCall) -> Outcome:
    """Move an alias (champion by default) to a version and, unless told not to, all traffic."""
    from backends.capabilities import supports
    from backends.contracts import BackendError, SupportsRegister

    version = live.resolve_version(call.env, call.model, call.fields["version"])
    alias = str(call.fields.get("alias", "champion"))
    registry = call.env.get("registry")
    if not supports(registry, SupportsRegister):
        raise StepFailed("the registry of this context cannot move aliases")
    before_alias = live.aliases(call.env, call.model).get(alias)
    before = _guarded(call)
    registry.set_alias(call.model, alias, version)
    moved = {"aliases": {call.model: {alias: version}}}
    message = f"{call.model}: alias {alias} {before_alias or 'none'} → {version}"
    if not call.fields.get("traffic", True):
        return Outcome(
            "ok",
            message,
            {"alias": {alias: before_alias}},
            {"alias": {alias: version}},
            {"version": version},
            moved,
        )
    try:
        after = live.apply_weights(call.env, call.model, {version: 100}, before)
    except (StepFailed, BackendError) as error:
        failed = Outcome("failed", f"{message}, but the traffic did not follow: {error}")
        failed.changed = moved
        return failed
    message += f"; weights {live.show(before.weights)} → {live.show(after.weights)}"
    outcome = _traffic_outcome(call, message, before, after, version=version)
    outcome.before["alias"] = {alias: before_alias}
    outcome.after["alias"] = {alias: version}
    outcome.changed.update(moved)
    return outcome
