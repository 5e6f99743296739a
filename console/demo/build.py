"""Build the demo workspace through the embedded backend: models, history, incident, ground truth.

A build is deterministic for a spec and idempotent: `W/.demo-complete` records
the recipe hash, and a second build with the same recipe reuses the workspace.
A build in progress is marked by `W/.demo-building` and holds a lock on
`W/.demo-lock`, so two builds of one workspace run one after the other; only
a directory carrying a demo marker (or an empty one) is ever cleared.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backends.contracts import FeatureSpec, Lineage, ModelVersion
from console.demo.catalog import FRAUD, MODELS, ModelPlan
from console.demo.history import Minutes, host_metrics, model_metrics
from console.demo.incident import (
    INCIDENT_OPENED_AFTER_DROP,
    INCIDENT_SEVERITY,
    INCIDENT_TITLE,
    IncidentPlan,
    iso,
    timeline,
)
from console.demo.progress import Progress
from console.demo.requests import request_log
from console.demo.spec import DemoSpec
from console.demo.synthetic import sample

COMPLETE = ".demo-complete"
BUILDING = ".demo-building"
LOCK = ".demo-lock"
GROUND_TRUTH = "ground_truth.json"
SERVING_FILE = "serving.json"


class DemoError(Exception):
    """The demo cannot be built here (a foreign directory, a failed write)."""


@dataclass(frozen=True)
class BuildResult:
    """Where the demo is, whether it was reused, and a summary of what it holds."""

    workspace: Path
    reused: bool
    seconds: float
    summary: dict[str, Any]


def build(
    workspace: Path, spec: DemoSpec, *, rebuild: bool = False, quiet: bool = False
) -> BuildResult:
    """Build (or reuse) the demo workspace at `workspace` for `spec`; one build at a time."""
    from console.demo.train import require_torch

    recipe = spec.recipe_hash()
    reused = None if rebuild else _reuse(workspace, recipe)
    if reused is not None:
        return reused
    require_torch()
    _refuse_foreign(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    with _locked(workspace / LOCK, quiet=quiet):
        reused = None if rebuild else _reuse(workspace, recipe)
        if reused is not None:
            return reused
        _refuse_live_server(workspace)
        _clear(workspace)
        (workspace / BUILDING).write_text(recipe + "\n")
        steps = sum(len(plan.versions) for plan in MODELS) + 2 * len(MODELS) + 3
        progress = Progress(steps, quiet=quiet)
        summary = _build_into(workspace, spec, progress)
        progress.step("writing the ground truth and the completion marker")
        document: dict[str, Any] = {"recipe": recipe, "spec": spec.as_json(), "summary": summary}
        document["seconds"] = round(progress.elapsed(), 2)
        (workspace / COMPLETE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        (workspace / BUILDING).unlink()
        progress.finish(f"demo workspace ready at {workspace}")
        return BuildResult(workspace, False, progress.elapsed(), summary)


def _reuse(workspace: Path, recipe: str) -> BuildResult | None:
    """The finished build at `workspace` when its recipe matches, else None."""
    marker = _read_marker(workspace / COMPLETE)
    if marker.get("recipe") != recipe:
        return None
    return BuildResult(workspace, True, 0.0, marker.get("summary", {}))


@contextmanager
def _locked(path: Path, *, quiet: bool) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting (and saying so) while another build runs."""
    import fcntl

    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not quiet:
                print(f"waiting for another build of {path.parent} ...", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_into(workspace: Path, spec: DemoSpec, progress: Progress) -> dict[str, Any]:
    """Every write of a build, in order; returns the summary."""
    from backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(workspace=str(workspace))
    incident = IncidentPlan.for_spec(spec)
    minutes = Minutes.of(incident)
    artifacts: dict[str, dict[str, Path]] = {}
    try:
        for plan in MODELS:
            artifacts[plan.name] = _register_model(backend, plan, workspace, spec, progress)
        for plan in MODELS:
            progress.step(f"writing {spec.days} days of per-minute metrics for {plan.name}")
            for frame in _batched(model_metrics(plan, incident, minutes, spec.seed)):
                backend.write_points(frame)
        progress.step("writing host metrics (cpu, memory, queue depth, gc pauses)")
        for frame in _batched(host_metrics(incident, minutes, spec.seed)):
            backend.write_points(frame)
        rows: dict[str, int] = {}
        labelled: dict[str, int] = {}
        for plan in MODELS:
            n_rows = spec.fraud_rows if plan.name == FRAUD.name else spec.other_rows
            progress.step(f"scoring and logging {n_rows:,} requests for {plan.name}")
            logged = request_log(plan, incident, minutes, n_rows, spec.seed, artifacts[plan.name])
            rows[plan.name] = backend.append(plan.name, logged.rows)
            labelled[plan.name] = backend.add_labels(plan.name, logged.labels)
        progress.step("recording the incident, its alerts and notes")
        opened = backend.open_incident(
            FRAUD.name,
            INCIDENT_TITLE,
            INCIDENT_SEVERITY,
            incident.drop_at + INCIDENT_OPENED_AFTER_DROP,
        )
        for event in timeline(incident):
            backend.add_event(event)
        truth = incident.ground_truth()
        (workspace / GROUND_TRUTH).write_text(json.dumps(truth, indent=2) + "\n")
        return {
            "history": {"start": iso(incident.start), "end": iso(incident.end)},
            "models": {
                plan.name: {
                    "versions": [v.version for v in plan.versions],
                    "traffic": plan.traffic,
                    "logged_rows": rows[plan.name],
                    "labelled_rows": labelled[plan.name],
                }
                for plan in MODELS
            },
            "incident": {
                "id": opened.incident_id,
                "severity": opened.severity,
                "title": opened.title,
            },
            "ground_truth": truth,
        }
    finally:
        backend.close()


def _register_model(
    backend: Any, plan: ModelPlan, workspace: Path, spec: DemoSpec, progress: Progress
) -> dict[str, Path]:
    """Declare the model, then train, export and register each version with its reference."""
    from console.demo.train import train_version

    features = [FeatureSpec(f.name, "numeric") for f in plan.numeric]
    features += [FeatureSpec(f.name, "categorical") for f in plan.categorical]
    backend.upsert_model(
        plan.name,
        task=plan.task,
        description=plan.description,
        slo_p99_ms=plan.slo_p99_ms,
        features=features,
        latency_budget_ms=plan.latency_budget_ms,
    )
    artifacts: dict[str, Path] = {}
    for version in plan.versions:
        progress.step(f"training {plan.name} v{version.version} ({plan.runtime})")
        rng = np.random.default_rng([spec.seed, version.data_seed])
        frame, target = sample(plan, rng, spec.train_rows)
        relative = Path("models") / plan.name / version.version
        trained = train_version(
            plan,
            version,
            frame,
            target,
            workspace / relative,
            epochs=spec.epochs,
            seed=spec.seed * 1000 + version.data_seed,
        )
        artifacts[version.version] = trained.artifact
        backend.register_version(
            ModelVersion(
                model=plan.name,
                version=version.version,
                created_at=spec.end - version.registered_before_end,
                runtime=plan.runtime,
                artifact_uri=str(relative / trained.artifact.name),
                lineage=Lineage(
                    trained.code_hash,
                    trained.data_hash,
                    trained.config_hash,
                    trained.environment_hash,
                ),
                aliases=() if version.promoted_before_end else version.aliases,
                metrics=trained.metrics,
                description=f"MLP hidden={version.hidden}, lr={version.lr}, "
                f"{spec.train_rows:,} synthetic rows",
            ),
            model_task=plan.task,
        )
        if version.promoted_before_end is not None:
            for alias in version.aliases:
                at = spec.end - version.promoted_before_end
                backend.set_alias(plan.name, alias, version.version, at=at)
        reference = frame.head(spec.reference_rows).copy()
        reference["label"] = target[: spec.reference_rows]
        backend.write_reference(plan.name, version.version, reference)
    deploys = [spec.end - v.promoted_before_end for v in plan.versions if v.promoted_before_end]
    backend.store_traffic(
        plan.name, plan.traffic, "vigil-demo", at=max(deploys, default=spec.start)
    )
    return artifacts


def _batched(frames: Any, size: int = 400_000) -> Any:
    """Concatenate point frames into batches of about `size` rows."""
    pending: list[pd.DataFrame] = []
    count = 0
    for frame in frames:
        pending.append(frame)
        count += len(frame)
        if count >= size:
            yield pd.concat(pending, ignore_index=True)
            pending, count = [], 0
    if pending:
        yield pd.concat(pending, ignore_index=True)


def _read_marker(path: Path) -> dict[str, Any]:
    """The completion marker's document, or {} when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _refuse_foreign(workspace: Path) -> None:
    """Refuse a path that is a file, or a non-empty directory that no demo build marked."""
    if not workspace.exists():
        return
    if not workspace.is_dir():
        raise DemoError(f"{workspace} exists and is not a directory")
    marked = any((workspace / name).exists() for name in (COMPLETE, BUILDING, LOCK))
    if not marked and any(workspace.iterdir()):
        raise DemoError(
            f"{workspace} is not empty and is not a demo workspace; "
            "choose an empty directory with --workspace"
        )


def _refuse_live_server(workspace: Path) -> None:
    """Refuse to clear a workspace while the server W/serving.json names still runs on it."""
    from backends.processes import process_alive

    try:
        info = json.loads((workspace / SERVING_FILE).read_text())
        pid, url = int(info["pid"]), str(info.get("url", "?"))
    except (OSError, ValueError, KeyError, TypeError):
        return
    if process_alive(pid):
        raise DemoError(
            f"a server runs on {workspace} ({url}, pid {pid}); stop it before rebuilding "
            "(a rebuild would delete its admin.token and serving.json)"
        )


def _clear(workspace: Path) -> None:
    """Empty a previous demo workspace, keeping the lock file."""
    for entry in workspace.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def describe(result: BuildResult) -> list[str]:
    """A short human summary of a built workspace."""
    summary = result.summary
    truth = summary.get("ground_truth", {})
    state = "reused" if result.reused else f"built in {result.seconds:.1f}s"
    lines = [f"demo workspace {result.workspace} ({state})"]
    history = summary.get("history", {})
    lines.append(f"  history   {history.get('start')} → {history.get('end')}")
    for name, model in summary.get("models", {}).items():
        split = " / ".join(f"v{v} {w}%" for v, w in model.get("traffic", {}).items())
        lines.append(
            f"  {name:<17} versions {','.join(model.get('versions', []))}  traffic {split}  "
            f"{model.get('logged_rows', 0):,} logged, {model.get('labelled_rows', 0):,} labelled"
        )
    opened = summary.get("incident", {})
    lines.append(f"  incident  {opened.get('id')} {opened.get('severity')} {opened.get('title')}")
    if truth:
        lines.append(
            f"  planted   deploy {truth['deploy']['at']}, drift of {truth['shifted_feature']} on "
            f"{truth['slice']['column']}={truth['slice']['value']} from {truth['drop_at']}"
        )
    lines.append(f"  answers   {result.workspace / GROUND_TRUTH}")
    return lines
