"""Undoing a run: only its own changes, only where nobody changed them since; what differs."""

from __future__ import annotations

from typing import Any

from backends.contracts import BackendError
from runbooks.engine import live
from runbooks.engine.environment import Environment
from runbooks.engine.live import StepFailed
from runbooks.engine.state import RunState


def revert_weights(
    env: Environment, state: RunState, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    """Put back each split this run changed, compare-and-set against what the run left."""
    problems: list[str] = []
    for model, saved in state.snapshot.get("weights", {}).items():
        left = state.changed.get("weights", {}).get(model)
        if not isinstance(left, dict):
            continue
        mine = live.remembered(model, left)
        try:
            now = live.split(env, model)
            before[model] = live.nonzero(now.weights)
            if not live.same_split(now, mine):
                raise StepFailed(
                    f"the split is now {live.describe(now)}, not {live.describe(mine)} as "
                    "this run left it: someone else changed it since; left as it is"
                )
            if live.nonzero(now.weights) != live.nonzero(saved):
                now = live.apply_weights(env, model, saved, mine)
                state.remember({"weights": {model: live.record_of(now)}})
            after[model] = live.nonzero(now.weights)
        except (StepFailed, BackendError) as error:
            problems.append(f"{model} weights not reverted: {error}")
    return problems


def restore_aliases(
    env: Environment, state: RunState, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    """Move back the aliases this run moved, where they still point where it put them."""
    from backends.capabilities import supports
    from backends.contracts import SupportsRegister

    problems: list[str] = []
    registry = env.get("registry")
    for model, moved in state.changed.get("aliases", {}).items():
        saved = state.snapshot.get("aliases", {}).get(model, {})
        try:
            now = live.aliases(env, model)
            for alias, put in moved.items():
                was = saved.get(alias)
                if was is None or now.get(alias) == was:
                    continue
                if now.get(alias) != put:
                    problems.append(
                        f"{model}: alias {alias} is now {now.get(alias)}, not {put} as this "
                        "run left it: someone else moved it since; left as it is"
                    )
                    continue
                if not supports(registry, SupportsRegister):
                    raise StepFailed("the registry cannot move aliases")
                registry.set_alias(model, alias, was)
                before.setdefault(model, {})[alias] = put
                after.setdefault(model, {})[alias] = was
                env.out(f"{model}: alias {alias} {put} → {was}")
        except (StepFailed, BackendError) as error:
            problems.append(f"{model} aliases: {error}")
    return problems


def divergence(env: Environment, state: RunState) -> list[str]:
    """What the live system holds now that differs from before the run (abort is not undo)."""
    from backends.contracts import BackendError

    found: list[str] = []
    for model, saved in state.snapshot.get("weights", {}).items():
        try:
            now = live.weights(env, model)
        except BackendError as error:
            found.append(f"{model}: live weights unreadable: {error}")
            continue
        if live.nonzero(now) != live.nonzero(saved):
            found.append(
                f"{model}: live weights {live.show(now)} differ from before the run "
                f"({live.show(saved)})"
            )
    for model, saved in state.snapshot.get("aliases", {}).items():
        try:
            now_aliases = live.aliases(env, model)
        except BackendError:
            continue
        for alias in sorted(set(saved) | set(now_aliases)):
            if saved.get(alias) != now_aliases.get(alias):
                found.append(
                    f"{model}: alias {alias} is {now_aliases.get(alias) or 'unset'}, "
                    f"was {saved.get(alias) or 'unset'} before the run"
                )
    for record in state.steps:
        if record.type == "retrain" and record.outputs.get("job_id"):
            found.append(f"retraining job {record.outputs['job_id']} ran; it is not undone")
    return found


def report_divergence(env: Environment, state: RunState) -> None:
    """Say plainly where the live state is not what it was before the run."""
    if state.divergence:
        env.out("live state differs from before the run (abort is not undo):")
        for line in state.divergence:
            env.out(f"  - {line}")
