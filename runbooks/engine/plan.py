"""A dry run: what each step would change against the live system, changing nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runbooks.engine import conditions, live
from runbooks.engine.environment import Environment
from runbooks.engine.live import StepFailed
from runbooks.engine.traffic import target_weights
from runbooks.spec.model import ROLLBACK_TIERS, Runbook, Step
from runbooks.spec.templating import PATTERN, parse_duration


@dataclass(frozen=True)
class PlanLine:
    """One planned step: what it would do, and whether it changes the live system."""

    step: str
    type: str
    text: str
    mutating: bool
    planned: bool = True


def plan(env: Environment, runbook: Runbook, params: Mapping[str, Any]) -> list[PlanLine]:
    """Describe every step against the live state, simulating the splits as steps go."""
    from backends.contracts import BackendError

    values = {**params, "context": env.context, "run_id": "(plan)", "runbook": runbook.name}
    sim: dict[str, dict[str, int]] = {}
    start: dict[str, Any] = {"weights": {}}
    lines = []
    for step in runbook.steps:
        fields = _lenient(dict(step.fields), values)
        model = str(fields.get("model") or params.get("model") or "")
        planned = True
        try:
            if model and model not in sim and step.type in _TRAFFIC:
                sim[model] = live.weights(env, model)
                start["weights"][model] = dict(sim[model])
            text = _describe(env, step, fields, model, sim, start)
        except (BackendError, StepFailed, ValueError, KeyError, TypeError) as error:
            text, planned = f"cannot plan: {error}", False
        lines.append(PlanLine(step.name, step.type, text, step.mutating, planned))
    return lines


_TRAFFIC = ("set_weights", "rollback", "promote")


def _describe(
    env: Environment,
    step: Step,
    fields: dict[str, Any],
    model: str,
    sim: dict[str, dict[str, int]],
    start: dict[str, Any],
) -> str:
    """The sentence for one step, updating the simulated split."""
    kind = step.type
    if kind == "set_weights":
        target = _planned_weights(env, model, fields["weights"], start)
        before = sim[model]
        rollout = fields.get("rollout")
        if rollout is not None:
            version = _maybe_version(env, model, rollout)
            has, gets = before.get(version, 0), target.get(version, 0)
            if has >= gets:
                return (
                    f"{model}: skipped: v{version} already takes {has}% (this step gives it "
                    f"{gets}%); weights stay {live.show(before)}"
                )
        sim[model] = live.complete(before, target)
        return f"{model}: weights {live.show(before)} → {live.show(sim[model])}"
    if kind == "rollback":
        to = live.resolve_version(env, model, fields.get("to", "champion"))
        tier = str(fields.get("tier", "immediate"))
        if tier not in ROLLBACK_TIERS:
            raise StepFailed(f"unknown rollback tier {tier!r} (immediate, rapid or delayed)")
        before = sim[model]
        sim[model] = {to: 100}
        return (
            f"{model}: rollback {live.show(before)} → v{to}:100% "
            f"(tier {tier}: target < {ROLLBACK_TIERS[tier]:g} s)"
        )
    if kind == "promote":
        version = _maybe_version(env, model, fields["version"])
        alias = str(fields.get("alias", "champion"))
        holder = live.aliases(env, model).get(alias, "none")
        text = f"{model}: alias {alias} {holder} → {version}"
        if fields.get("traffic", True):
            before = sim[model]
            sim[model] = {version: 100}
            text += f"; weights {live.show(before)} → v{version}:100%"
        return text
    if kind in ("load", "unload"):
        version = _maybe_version(env, model, fields["version"])
        if kind == "load" and _is_loaded(env, model, version):
            return f"{model}: v{version} is already loaded (ready); nothing to do"
        return f"{model}: {kind} v{version}"
    if kind == "wait":
        return f"wait {parse_duration(fields['duration']):g} s"
    if kind == "check":
        return _describe_check(env, model, fields)
    if kind == "analysis":
        names = ", ".join(
            str(c.get("name") or conditions.default_name(c)) for c in fields["conditions"]
        )
        return (
            f"analysis of {model}: {int(fields.get('count', 3))} measurement(s) every "
            f"{parse_duration(fields.get('interval', '30s')):g} s, failure limit "
            f"{int(fields.get('failure_limit', 0))}: {names}"
        )
    if kind == "confirm":
        how = f"type {model!r}" if fields.get("require") == "name" else "y/N"
        return f"ask ({how}): {fields['message']}"
    if kind == "retrain":
        return f"{model}: start retraining ({fields['reason']}); registers a challenger"
    if kind == "annotate":
        return f"note on the timeline: {fields['message']}"
    return f"notify ({fields.get('channel', 'stdout')}): {fields['message']}"


def _is_loaded(env: Environment, model: str, version: str) -> bool:
    """Whether the server already holds `version` ready."""
    states = env.get("serving").status(model).versions
    return any(str(v.version) == version and v.state == "ready" for v in states)


def _describe_check(env: Environment, model: str, fields: dict[str, Any]) -> str:
    """A check's conditions or triggers with their current readings."""
    if "triggers" in fields:
        results = [conditions.evaluate_trigger(env, model, t) for t in fields["triggers"]]
        return "check triggers (any fires → go on): " + "; ".join(r.line() for r in results)
    measured = [conditions.evaluate(env, model, c) for c in fields["conditions"]]
    return "check (now): " + "; ".join(m.line() for m in measured)


def _planned_weights(
    env: Environment, model: str, spec: Any, start: dict[str, Any]
) -> dict[str, int]:
    """The split a set_weights step asks for; versions not known yet keep their placeholder."""
    if isinstance(spec, dict):
        return {_maybe_version(env, model, ref): int(weight) for ref, weight in spec.items()}
    return target_weights(env, model, spec, start)


def _maybe_version(env: Environment, model: str, ref: Any) -> str:
    """The version a reference names now, or the reference itself when it is not known yet."""
    text = str(ref)
    if text.startswith("<"):
        return text
    return live.resolve_version(env, model, text)


def _lenient(value: Any, values: Mapping[str, Any]) -> Any:
    """Substitute what is known; a step output not produced yet reads `<from step X>`."""
    if isinstance(value, str):
        whole = PATTERN.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PATTERN.sub(lambda m: _stand_in(m, values), value)
    if isinstance(value, Mapping):
        return {str(_lenient(k, values)): _lenient(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_lenient(item, values) for item in value]
    return value


def _stand_in(match: re.Match[str], values: Mapping[str, Any]) -> str:
    """The value of a reference, or a readable placeholder."""
    ref = match.group(1)
    if ref in values:
        return str(values[ref])
    parts = ref.split(".")
    return f"<{parts[-1]} from step {'.'.join(parts[1:-1])}>" if len(parts) >= 3 else f"<{ref}>"
