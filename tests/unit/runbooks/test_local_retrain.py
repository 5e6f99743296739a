"""LocalRetrainTrigger: job files, the job subprocess, failure reported, unknown ids."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backends.contracts import BackendError, NotFoundError
from backends.local_retrain import LocalRetrainTrigger
from tests.unit.runbooks.workspace import MODEL, make_workspace


def wait_done(trigger: LocalRetrainTrigger, job_id: str, timeout: float = 60.0):
    """Poll the job until it ends."""
    deadline = time.monotonic() + timeout
    job = trigger.job(job_id)
    while job.status not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = trigger.job(job_id)
    return job


def test_a_job_without_labelled_data_fails_and_says_why(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    trigger = LocalRetrainTrigger(str(workspace))
    job = trigger.start(MODEL, "test", {"epochs": 1})
    assert job.status in ("queued", "running") and job.model == MODEL
    assert (workspace / "retrain_jobs" / f"{job.job_id}.json").is_file()
    done = wait_done(trigger, job.job_id)
    assert done.status == "failed"
    assert "inference log of fraud-detector is empty" in done.message
    assert done.finished_at is not None and done.new_version is None


def test_unknown_jobs_and_parameters_are_errors(tmp_path: Path) -> None:
    trigger = LocalRetrainTrigger(str(tmp_path))
    with pytest.raises(NotFoundError):
        trigger.job("nope")
    with pytest.raises(NotFoundError):
        trigger.job("../etc/passwd")
    with pytest.raises(BackendError, match="no parameter 'lr'"):
        trigger.start(MODEL, "test", {"lr": 0.1})


def _bump(path: str, rounds: int) -> None:
    """Count `progress` up by one, `rounds` times, as a second writer of the job file."""
    from backends.local_retrain import _update

    for _ in range(rounds):
        state = _update(Path(path))
        _update(Path(path), progress=state["progress"] + 1)


def test_processes_updating_one_job_file_at_once_never_fail(tmp_path: Path) -> None:
    """The cancel and the job's SIGTERM handler write together: no crash, a valid file."""
    import json
    import multiprocessing

    from backends.local_retrain import _update, _write

    path = tmp_path / "job.json"
    _write(path, {"status": "running", "progress": 0})
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_bump, args=(str(path), 50)) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [writer.exitcode for writer in writers] == [0, 0, 0]
    assert json.loads(path.read_text())["status"] == "running"
    assert _update(path)["progress"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.json", "job.json.lock"]
