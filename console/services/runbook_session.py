"""What the console needs around a runbook run: which quick actions apply, and the end report.

A quick action is a bundled runbook with its parameters filled in from the
screen (the selected model); it is offered only when the context's backend
for its role has the capability it needs (`backends.capabilities.supports`),
and is disabled, with the reason, on a read-only context. Nothing here
changes anything: runs go through `runbooks.engine.Runner` like the CLI's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbooks.engine import Environment
    from runbooks.engine.state import RunState


@dataclass(frozen=True)
class Need:
    """What a step of the runbook needs: the role's backend offers one of these capabilities."""

    role: str
    any_of: tuple[str, ...]

    def describe(self) -> str:
        """`SupportsLoad` or `SupportsTrafficSplit or SupportsRollback`."""
        return " or ".join(self.any_of)


@dataclass(frozen=True)
class QuickAction:
    """A runbook offered for the selected model, and what its steps need from the backends."""

    id: str
    title: str
    runbook: str
    role: str
    needs: tuple[Need, ...] = ()
    mutating: bool = True


WEIGHTS_OR_DEFAULT = Need("serving", ("SupportsTrafficSplit", "SupportsRollback"))
"""All traffic to one version: a split of 100 %, or a backend's default version (TorchServe)."""

QUICK_ACTIONS: tuple[QuickAction, ...] = (
    QuickAction(
        "rollback", "Roll back to the champion", "rollback", "serving", (WEIGHTS_OR_DEFAULT,)
    ),
    QuickAction(
        "weight",
        "Set the canary weight",
        "set-traffic",
        "serving",
        (Need("serving", ("SupportsTrafficSplit",)),),
    ),
    QuickAction(
        "promote",
        "Promote the challenger",
        "promote",
        "serving",
        (
            Need("serving", ("SupportsLoad",)),
            WEIGHTS_OR_DEFAULT,
            Need("registry", ("SupportsRegister",)),
        ),
    ),
    QuickAction("retrain", "Retrain on drift, then canary", "retrain-on-drift", "retrain"),
    QuickAction("note", "Note on the timeline", "note", "incidents", mutating=False),
)
"""Each action's needs are those of its runbook's steps in `runbooks.engine`: `rollback` and
`promote`'s traffic go through `live.apply_weights` (a split, or the default version when the
backend has no split), `promote`'s `load` step needs `SupportsLoad`, its alias move
`SupportsRegister`."""
BY_ID: Mapping[str, QuickAction] = {action.id: action for action in QUICK_ACTIONS}


@dataclass(frozen=True)
class ActionState:
    """Whether a quick action is offered here, and if offered but disabled, why."""

    offered: bool
    disabled: str = ""


def is_context(source: object) -> bool:
    """Runbooks need a resolved context (its name, read-only flag and backends by role)."""
    return all(hasattr(source, name) for name in ("name", "read_only", "backend", "workspace"))


def action_states(source: object) -> dict[str, ActionState]:
    """Every quick action's state for this context (reads backends: run it off the UI thread)."""
    from backends import contracts
    from backends.capabilities import supports
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError

    if not is_context(source):
        why = "not a configured context"
        return {action.id: ActionState(False, why) for action in QUICK_ACTIONS}
    context: Any = source
    states: dict[str, ActionState] = {}
    replay = str(getattr(context, "read_only_reason", ""))
    for action in QUICK_ACTIONS:
        if replay and action.mutating:  # a replayed past instant: offered, never run
            why = f"{replay}: {action.title.lower()} would change the live system"
            states[action.id] = ActionState(True, why)
            continue
        missing = ""
        for role, need in [(action.role, None), *((need.role, need) for need in action.needs)]:
            try:
                backend = context.backend(role)
            except (ConfigError, BackendUnavailable, contracts.BackendError):
                missing = f"no {role} backend"
                break
            if need is not None and not any(
                supports(backend, getattr(contracts, name)) for name in need.any_of
            ):
                missing = f"the {role} backend cannot (needs {need.describe()})"
                break
        if missing:
            states[action.id] = ActionState(False, missing)
            continue
        disabled = ""
        if action.mutating and context.read_only:
            disabled = (
                f"context {context.name!r} is read-only: {action.title.lower()} would change "
                "the live system; nothing was changed"
            )
        states[action.id] = ActionState(True, disabled)
    return states


@dataclass
class RunReport:
    """How a run ended, what it changed live, and where live differs from what it set."""

    run_id: str
    status: str
    reason: str
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)


def report(env: Environment, run_id: str, status: str, reason: str) -> RunReport:
    """Read the persisted run and the live state now (in a worker: it calls the backends)."""
    from backends.contracts import BackendError
    from runbooks.engine import live
    from runbooks.engine.state import load

    result = RunReport(run_id, status, reason)
    try:
        state: RunState = load(env.state_dir, run_id)
    except (OSError, ValueError, TypeError):
        return result
    for record in state.steps + state.failure_steps:
        result.steps.append((record.name, record.status, record.message))
    wanted: dict[str, Any] = state.changed.get("weights", {})
    for model in sorted(set(state.snapshot.get("weights", {})) | set(wanted)):
        try:
            now = live.weights(env, model)
        except BackendError as error:
            result.differs.append(f"{model}: live weights unreadable: {error}")
            continue
        before = state.snapshot.get("weights", {}).get(model)
        was = live.show(before) if before is not None else "unknown"
        where = "stored, no server runs" if state.stored_only else "live now"
        result.live.append(f"{model}: weights {was} → {live.show(now)} ({where})")
        if model not in wanted:
            continue
        desired = {str(k): int(v) for k, v in _split(wanted[model]).items()}
        if live.nonzero(desired) != live.nonzero(now):
            result.differs.append(
                f"{model}: live weights {live.show(now)} differ from what the run set "
                f"({live.show(desired)})"
            )
    for model, moved in state.changed.get("aliases", {}).items():
        try:
            now_aliases = live.aliases(env, model)
        except BackendError:
            continue
        for alias, version in moved.items():
            result.live.append(f"{model}: alias {alias} → {now_aliases.get(alias) or 'unset'}")
            if now_aliases.get(alias) != version:
                result.differs.append(f"{model}: alias {alias} is not {version} as the run set")
    result.differs.extend(line for line in state.divergence if line not in result.differs)
    if state.stored_only:
        result.differs.append("nothing live changed: the split was only stored")
    return result


def _split(record: Any) -> Mapping[str, Any]:
    """The weights of a remembered change (`{"weights": {...}, "generation": n}`, or bare)."""
    if isinstance(record, Mapping) and isinstance(record.get("weights"), Mapping):
        return dict(record["weights"])
    return dict(record) if isinstance(record, Mapping) else {}
