"""RetrainTrigger as a local job: a subprocess that retrains a demo model with Torch.

`start` writes `W/retrain_jobs/<id>.json` and launches `python -m
backends.local_retrain W <id>` in its own session, so the job is cancellable
(SIGTERM to its process group) and outlives the CLI or the TUI that started it.
The job reads recent labelled rows from the workspace's inference log, trains
a new version with the demo's own training code (`console.demo.train`, loaded
by name inside the job process only, so `backends` never imports `console`),
exports it (ONNX for fraud-detector), and registers it as `challenger`. It
writes its progress to the JSON file, which `job(id)` reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from backends.contracts import BackendError, NotFoundError, RetrainJob
from backends.discovery import Option
from backends.processes import process_alive

JOBS = "retrain_jobs"
TRAINER = "console.demo.train"
CATALOG = "console.demo.catalog"
DEFAULTS: Mapping[str, Any] = {"window_days": 7, "max_rows": 50_000, "min_rows": 500, "epochs": 3}
TERMINAL = ("succeeded", "failed", "cancelled")


class LocalRetrainTrigger:
    """Retraining jobs run as local subprocesses, their state in the workspace."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("workspace", "directory", "the workspace the jobs read and register into"),
    )

    def __init__(self, workspace: str) -> None:
        """Keep job files under `workspace/retrain_jobs`."""
        self.workspace = Path(workspace).expanduser().resolve()
        self.folder = self.workspace / JOBS

    def start(self, model: str, reason: str, params: Mapping[str, Any]) -> RetrainJob:
        """Write the job file and launch the job process; returns at once."""
        unknown = sorted(set(params) - set(DEFAULTS) - {"seed"})
        if unknown:
            raise BackendError(f"local retraining has no parameter {unknown[0]!r}")
        job_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{model}-{secrets.token_hex(3)}"
        state = {
            "job_id": job_id,
            "model": model,
            "reason": reason,
            "params": {**DEFAULTS, **dict(params)},
            "status": "queued",
            "progress": 0.0,
            "started_at": datetime.now(UTC).isoformat(),
            "finished_at": None,
            "new_version": None,
            "message": "queued",
            "pid": 0,
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        _write(self._path(job_id), state)
        log = open(self.folder / f"{job_id}.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "backends.local_retrain", str(self.workspace), job_id],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(self.workspace),
            )
        except OSError as error:
            raise BackendError(f"cannot start the retraining job: {error}") from error
        finally:
            log.close()
        _update(self._path(job_id), pid=process.pid)
        return self.job(job_id)

    def job(self, job_id: str) -> RetrainJob:
        """The job as its file says; a job whose process died unfinished reads as failed."""
        state = self._read(job_id)
        if (
            state["status"] not in TERMINAL
            and state.get("pid")
            and not process_alive(int(state["pid"]))
        ):
            state = _update(
                self._path(job_id),
                status="failed",
                message=f"the job process exited unexpectedly; see {job_id}.log",
                finished_at=datetime.now(UTC).isoformat(),
            )
        return _as_job(state)

    def cancel(self, job_id: str) -> RetrainJob:
        """Stop the job's process group and mark it cancelled."""
        state = self._read(job_id)
        if state["status"] in TERMINAL:
            return _as_job(state)
        pid = int(state.get("pid") or 0)
        if pid and process_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
        _update(
            self._path(job_id),
            status="cancelled",
            message="cancelled",
            finished_at=datetime.now(UTC).isoformat(),
        )
        return _as_job(self._read(job_id))

    def _path(self, job_id: str) -> Path:
        """The job file; ids cannot climb out of the folder."""
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise NotFoundError(f"no retraining job {job_id!r}")
        return self.folder / f"{job_id}.json"

    def _read(self, job_id: str) -> dict[str, Any]:
        """The job file's contents, or NotFoundError."""
        path = self._path(job_id)
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFoundError(f"no retraining job {job_id!r}") from None
        except (OSError, ValueError) as error:
            raise BackendError(f"job file {path} is unreadable: {error}") from error


def _as_job(state: Mapping[str, Any]) -> RetrainJob:
    """A RetrainJob from a job file."""

    def when(key: str) -> datetime | None:
        value = state.get(key)
        return datetime.fromisoformat(value) if value else None

    return RetrainJob(
        job_id=str(state["job_id"]),
        model=str(state["model"]),
        status=state["status"],
        progress=float(state.get("progress", 0.0)),
        started_at=when("started_at"),
        finished_at=when("finished_at"),
        new_version=state.get("new_version"),
        message=str(state.get("message", "")),
    )


def _write(path: Path, state: Mapping[str, Any]) -> None:
    """Write a job file atomically, through a temporary file of this process's own."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _update(path: Path, **changes: Any) -> dict[str, Any]:
    """Change some fields of a job file under its lock; a cancelled job stays cancelled.

    The CLI's cancel and the job's own SIGTERM handler write at the same moment,
    so the read-change-write is serialised by `flock` on a sidecar file.
    """
    with open(path.with_name(f"{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = dict(json.loads(path.read_text(encoding="utf-8")))
        if state.get("status") == "cancelled" and changes.get("status") not in (None, "cancelled"):
            return state
        state.update(changes)
        _write(path, state)
        return state


# --- the job process --------------------------------------------------------------


def run_job(workspace: Path, job_id: str) -> int:
    """Body of the job process: read labelled rows, train, export, register as challenger."""
    path = workspace / JOBS / f"{job_id}.json"
    state = json.loads(path.read_text(encoding="utf-8"))

    def stop(signum: int, frame: Any) -> None:
        _update(path, status="cancelled", message="cancelled", finished_at=_now())
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, stop)
    _update(path, status="running", progress=0.05, message="reading labelled rows")
    try:
        new_version = _train_and_register(workspace, path, state)
    except Exception as error:
        _update(
            path, status="failed", message=f"{type(error).__name__}: {error}", finished_at=_now()
        )
        return 1
    _update(
        path,
        status="succeeded",
        progress=1.0,
        new_version=new_version,
        message=f"registered v{new_version} as challenger",
        finished_at=_now(),
    )
    return 0


def _train_and_register(workspace: Path, path: Path, state: Mapping[str, Any]) -> str:
    """Train on the newest labelled rows with the demo's recipe and register the version."""
    import importlib

    import numpy as np

    from backends.contracts import Lineage, ModelVersion
    from backends.embedded import EmbeddedBackend

    model_name = str(state["model"])
    params = {**DEFAULTS, **state["params"]}
    train = importlib.import_module(TRAINER)
    catalog = importlib.import_module(CATALOG)
    plans = [p for p in vars(catalog).values() if isinstance(p, catalog.ModelPlan)]
    plan = next((p for p in plans if p.name == model_name), None)
    if plan is None:
        known = ", ".join(sorted(p.name for p in plans))
        raise BackendError(
            f"no training recipe for {model_name!r} (local retraining knows {known})"
        )
    backend = EmbeddedBackend(workspace)
    found = backend.get_model(model_name)
    span = backend.time_range(model_name)
    if span is None:
        raise BackendError(f"the inference log of {model_name} is empty")
    end = span[1] + timedelta(microseconds=1)
    start = end - timedelta(days=float(params["window_days"]))
    columns = [*plan.feature_names, "label"]
    frame = backend.window(model_name, start, end, columns=columns)
    labelled = frame.dropna(subset=["label"]).tail(int(params["max_rows"]))
    if len(labelled) < int(params["min_rows"]):
        raise BackendError(
            f"only {len(labelled)} labelled rows in the last {params['window_days']} days "
            f"(need {params['min_rows']})"
        )
    _update(path, progress=0.2, message=f"training on {len(labelled)} labelled rows")
    numbers = [int(v.version) for v in found.versions if v.version.isdigit()]
    new_version = str(max(numbers, default=0) + 1)
    base = found.alias("champion")
    recipe = next(
        (v for v in plan.versions if base is not None and v.version == base.version),
        plan.versions[-1],
    )
    version_plan = catalog.VersionPlan(new_version, timedelta(0), recipe.hidden, recipe.lr)
    out_dir = workspace / "models" / model_name / new_version
    trained = train.train_version(
        plan,
        version_plan,
        labelled[list(plan.feature_names)].reset_index(drop=True),
        np.asarray(labelled["label"], dtype=np.float32),
        out_dir,
        epochs=int(params["epochs"]),
        seed=int(params.get("seed", 0)),
    )
    _update(path, progress=0.9, message="registering")
    backend.register_version(
        ModelVersion(
            model=model_name,
            version=new_version,
            created_at=datetime.now(UTC),
            runtime=plan.runtime,
            artifact_uri=str(trained.artifact.relative_to(workspace)),
            lineage=Lineage(
                trained.code_hash,
                trained.data_hash,
                trained.config_hash,
                trained.environment_hash,
            ),
            aliases=("challenger",),
            metrics=trained.metrics,
            description=f"retrained by job {state['job_id']}: {state['reason']}",
        )
    )
    return new_version


def _now() -> str:
    """The current UTC time as ISO 8601."""
    return datetime.now(UTC).isoformat()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m backends.local_retrain WORKSPACE JOB_ID", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(run_job(Path(sys.argv[1]), sys.argv[2]))
