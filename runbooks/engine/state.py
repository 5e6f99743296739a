"""A run persisted step by step as one JSON file, so it can be resumed or reverted."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FINAL = ("succeeded", "failed", "refused", "reverted", "finished")


@dataclass
class StepRecord:
    """How one step went: status, timing, state before and after, and outputs."""

    name: str
    type: str
    status: str = "pending"
    started_at: str | None = None
    duration_s: float | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunState:
    """One run: the runbook text, bound parameters, the state before it began, each step."""

    run_id: str
    runbook: str
    source: str
    text: str
    context: str
    params: dict[str, Any]
    user: str
    host: str
    pid: int
    status: str = "running"
    reason: str = ""
    created_at: str = ""
    updated_at: str = ""
    snapshot: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    failure_steps: list[StepRecord] = field(default_factory=list)
    divergence: list[str] = field(default_factory=list)
    changed: dict[str, Any] = field(default_factory=dict)
    stored_only: bool = False
    audit_head: str = ""

    def outputs(self) -> dict[str, Any]:
        """`steps.<name>.<key>` values (and each step's `status`), for templating."""
        values: dict[str, Any] = {}
        for record in self.steps + self.failure_steps:
            values[f"steps.{record.name}.status"] = record.status
            for key, value in record.outputs.items():
                values[f"steps.{record.name}.{key}"] = value
        return values

    def remember(self, changed: dict[str, dict[str, Any]]) -> None:
        """Keep what a step changed (splits and alias moves), the latest per model."""
        for kind, per_model in changed.items():
            for model, value in per_model.items():
                mine = self.changed.setdefault(kind, {})
                if kind == "aliases":
                    mine.setdefault(model, {}).update(value)
                else:
                    mine[model] = value


def new_run_id(runbook: str) -> str:
    """A sortable, unique run id: time, runbook name and a random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{runbook}-{secrets.token_hex(3)}"


def now_iso() -> str:
    """The current UTC time as ISO 8601."""
    return datetime.now(UTC).isoformat()


def save(state_dir: Path, state: RunState) -> None:
    """Write the run atomically (temp file + rename), so a kill never leaves half a file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state.updated_at = now_iso()
    path = state_dir / f"{state.run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def load(state_dir: Path, run_id: str) -> RunState:
    """Read one run; raises FileNotFoundError or ValueError for a missing or broken file."""
    if "/" in run_id or run_id.startswith("."):
        raise ValueError(f"not a run id: {run_id!r}")
    data = json.loads((state_dir / f"{run_id}.json").read_text(encoding="utf-8"))
    steps = [StepRecord(**s) for s in data.pop("steps", [])]
    failure = [StepRecord(**s) for s in data.pop("failure_steps", [])]
    return RunState(**data, steps=steps, failure_steps=failure)


def list_runs(state_dir: Path) -> list[RunState]:
    """Every run in the folder, oldest first; unreadable files are left out.

    Ids sort by the second only (then by runbook name), so two runs begun in the
    same second are ordered by their creation time, which has microseconds.
    """
    runs = []
    for path in state_dir.glob("*.json"):
        try:
            runs.append(load(state_dir, path.stem))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(runs, key=lambda run: (run.run_id.split("-", 1)[0], run.created_at, run.run_id))
