"""Reading and changing the live system: weights, aliases, version references."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runbooks.engine.environment import Environment

if TYPE_CHECKING:
    from backends.contracts import EndpointStatus

PREVIOUS = "previous-"


class StepFailed(Exception):
    """A step could not do what it says; the message is the reason shown to the operator."""


def weights(env: Environment, model: str) -> dict[str, int]:
    """The live traffic split of a model, version → percent."""
    return split_of(split(env, model))


def split(env: Environment, model: str) -> EndpointStatus:
    """The served model as the backend reports it now: split, generation, live or stored."""
    status: EndpointStatus = env.get("serving").status(model)
    return status


def split_of(status: EndpointStatus) -> dict[str, int]:
    """The split of a status, version → percent."""
    return {str(k): int(v) for k, v in status.weights.items()}


def remembered(model: str, saved: Mapping[str, Any]) -> EndpointStatus:
    """A split this run recorded (`{"weights", "generation"}`) as a status to compare against."""
    from backends.contracts import EndpointStatus

    generation = saved.get("generation")
    return EndpointStatus(
        model,
        (),
        {str(k): int(v) for k, v in dict(saved.get("weights") or {}).items()},
        True,
        generation=generation if type(generation) is int else None,
    )


def record_of(status: EndpointStatus) -> dict[str, Any]:
    """What a run keeps of a split it left: the weights that take traffic and the generation."""
    return {"weights": nonzero(status.weights), "generation": status.generation}


def same_split(now: EndpointStatus, then: EndpointStatus) -> bool:
    """Whether the split is still the one seen then: same generation, else same weights."""
    if now.generation is not None and then.generation is not None:
        return now.generation == then.generation
    return nonzero(now.weights) == nonzero(then.weights)


def describe(status: EndpointStatus) -> str:
    """`v1:95% v2:5% (generation 7)`."""
    generation = f" (generation {status.generation})" if status.generation is not None else ""
    return show(status.weights) + generation


def aliases(env: Environment, model: str) -> dict[str, str]:
    """Alias → version for a model in the registry."""
    found: dict[str, str] = {}
    for version in env.get("registry").get_model(model).versions:
        for alias in version.aliases:
            found[str(alias)] = str(version.version)
    return found


def resolve_version(env: Environment, model: str, ref: Any) -> str:
    """A concrete version from a version id or an alias (champion, challenger, ...)."""
    text = str(ref)
    found = env.get("registry").get_model(model)
    versions = [str(v.version) for v in found.versions]
    if text in versions:
        return text
    holder = found.alias(text)
    if holder is not None:
        return str(holder.version)
    stripped = text[1:] if text.lower().startswith("v") else text
    if stripped in versions:
        return stripped
    if text.startswith(PREVIOUS):
        return previous_holder(env, model, text[len(PREVIOUS) :])
    raise StepFailed(
        f"{model} has no version or alias {text!r} (versions: {', '.join(versions) or 'none'})"
    )


def previous_holder(env: Environment, model: str, alias: str) -> str:
    """The version that held `alias` before its current holder (`previous-champion`)."""
    from datetime import UTC, datetime, timedelta

    found = env.get("registry").get_model(model)
    holder = found.alias(alias)
    current = str(holder.version) if holder is not None else None
    end = datetime.now(UTC) + timedelta(seconds=1)
    events = env.get("registry").registry_events(model, datetime(1970, 1, 1, tzinfo=UTC), end)
    moves = [e for e in events if e.kind == "alias_moved" and e.detail.get("alias") == alias]
    for event in reversed(moves):
        before = event.detail.get("from")
        if before and str(before) != current:
            return str(before)
        if str(event.version) != current:
            return str(event.version)
    raise StepFailed(f"{model}: no version held {alias} before v{current} (registry events)")


def complete(current: Mapping[str, int], target: Mapping[str, int]) -> dict[str, int]:
    """The target split with every currently weighted version not named set to 0."""
    merged = {version: 0 for version, weight in current.items() if weight}
    merged.update({str(k): int(v) for k, v in target.items()})
    return merged


def nonzero(split: Mapping[str, int]) -> dict[str, int]:
    """Only the versions that take traffic, for comparing splits."""
    return {str(k): int(v) for k, v in split.items() if int(v)}


def show(split: Mapping[str, int]) -> str:
    """`v2:95% v3:5%`, or `none`."""
    shown = " ".join(
        f"{'' if k.startswith('<') else 'v'}{k}:{v}%" for k, v in sorted(nonzero(split).items())
    )
    return shown or "none"


def apply_weights(
    env: Environment, model: str, target: Mapping[str, int], expected: EndpointStatus
) -> EndpointStatus:
    """Set the split only while it is still `expected`; the server's answer says what holds."""
    from backends.capabilities import supports
    from backends.contracts import (
        SupportsCompareAndSet,
        SupportsRollback,
        SupportsTrafficSplit,
        TrafficConflict,
    )

    serving = env.get("serving")
    whole = [version for version, weight in target.items() if int(weight) == 100]
    only_default = not supports(serving, SupportsTrafficSplit)
    if only_default and whole and supports(serving, SupportsRollback):
        now = split(env, model)
        if not same_split(now, expected):
            raise StepFailed(conflict_message(model, expected, TrafficConflict("changed", now)))
        return serving.rollback(model, whole[0])
    if not supports(serving, SupportsTrafficSplit):
        raise StepFailed("the serving backend of this context cannot set traffic weights")
    if sum(int(v) for v in target.values()) != 100:
        raise StepFailed(f"weights must sum to 100, not {sum(int(v) for v in target.values())}")
    wanted = complete(expected.weights, target)
    try:
        if supports(serving, SupportsCompareAndSet):
            after = serving.set_weights_if(model, wanted, expected)
        else:
            now = split(env, model)
            if not same_split(now, expected):
                raise TrafficConflict("the split changed since it was read", now)
            after = serving.set_weights(model, wanted)
    except TrafficConflict as conflict:
        raise StepFailed(conflict_message(model, expected, conflict)) from None
    if nonzero(after.weights) != nonzero(target):
        raise StepFailed(f"asked for {show(target)} but the server holds {show(after.weights)}")
    return after


def conflict_message(model: str, expected: EndpointStatus, conflict: Exception) -> str:
    """Why a compare-and-set change was refused, with the split that holds now."""
    from backends.contracts import TrafficConflict

    current = conflict.current if isinstance(conflict, TrafficConflict) else None
    now = f"is now {describe(current)}" if current is not None else "changed"
    return (
        f"{model}: the split {now}, not {describe(expected)} as this run last saw it: "
        f"someone else changed it, so nothing was changed ({conflict})"
    )
