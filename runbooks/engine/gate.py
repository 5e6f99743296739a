"""The policy gate: read-only contexts, non-prod-only runbooks and confirmation by risk."""

from __future__ import annotations

from runbooks.engine.environment import Environment, RunbookRefused
from runbooks.spec.model import Runbook, Step

CONFIRMATION = {"low": "none", "medium": "y/N (default No)", "high": "typing the model name"}


def check(env: Environment, runbook: Runbook, steps: tuple[Step, ...]) -> None:
    """Refuse, before anything changes, what the context or the missing human cannot allow."""
    if runbook.nonprod_only and "prod" in env.context.lower():
        raise RunbookRefused(
            f"{runbook.name} runs only on non-production contexts; {env.context!r} looks like prod"
        )
    mutating = [s for s in steps if s.mutating]
    if env.read_only and mutating:
        listed = ", ".join(f"{s.name} ({s.type})" for s in mutating[:5])
        raise RunbookRefused(
            f"{read_only_reason(env)}: {runbook.name} would change the live "
            f"system in step(s) {listed}; nothing was changed"
        )
    asks = [s.name for s in steps if s.type == "confirm"]
    needs = runbook.risk != "low" or asks
    if needs and not env.assume_yes and not env.confirmer.interactive():
        what = f"risk {runbook.risk}: {CONFIRMATION[runbook.risk]}"
        if asks:
            what += f"; confirm step(s) {', '.join(asks)}"
        raise RunbookRefused(
            f"{runbook.name} needs confirmation ({what}) and there is no terminal to ask; "
            "pass --yes to confirm; nothing was changed"
        )


def check_step(env: Environment, step: Step) -> None:
    """Refuse one step about to run (injected or not) that the context cannot allow."""
    if env.read_only and step.mutating:
        raise RunbookRefused(
            f"{read_only_reason(env)}: step {step.name} ({step.type}) would change "
            "the live system; it was not run"
        )


def read_only_reason(env: Environment) -> str:
    """Why nothing may change here: the environment's own reason, else the context's flag."""
    return env.read_only_reason or f"context {env.context!r} is read-only"


def confirm_start(env: Environment, runbook: Runbook, model: str, verb: str = "run") -> None:
    """Ask for the confirmation the risk level sets; a No refuses the whole run."""
    if runbook.risk == "low" or env.assume_yes:
        return
    target = f"{runbook.name} on {model or 'the context'} in {env.context}"
    if runbook.risk == "high" and model:
        prompt = f"High risk: {verb} {target}. Type the model name ({model}) to confirm:"
        if not env.confirmer.confirm(prompt, require=model):
            raise RunbookRefused(f"not confirmed (the model name was not typed); {verb} refused")
        return
    if not env.confirmer.confirm(f"{verb.capitalize()} {target}? [y/N]"):
        raise RunbookRefused(f"not confirmed; {verb} refused, nothing was changed")
