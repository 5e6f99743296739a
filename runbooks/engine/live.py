"""Reading and changing the live system: weights, aliases, version references."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbooks.engine.environment import Environment

PREVIOUS = "previous-"


class StepFailed(Exception):
    """A step could not do what it says; the message is the reason shown to the operator."""


def weights(env: Environment, model: str) -> dict[str, int]:
    """The live traffic split of a model, version → percent."""
    status = env.get("serving").status(model)
    return {str(k): int(v) for k, v in status.weights.items()}


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


def apply_weights(env: Environment, model: str, target: Mapping[str, int]) -> dict[str, int]:
    """Set the split and read it back; fails when the live split is not the one asked for."""
    from backends.contracts import SupportsTrafficSplit

    serving = env.get("serving")
    if not isinstance(serving, SupportsTrafficSplit):
        raise StepFailed("the serving backend of this context cannot set traffic weights")
    if sum(int(v) for v in target.values()) != 100:
        raise StepFailed(f"weights must sum to 100, not {sum(int(v) for v in target.values())}")
    serving.set_weights(model, complete(weights(env, model), target))
    after = weights(env, model)
    if nonzero(after) != nonzero(target):
        raise StepFailed(f"asked for {show(target)} but the live split is {show(after)}")
    return after
