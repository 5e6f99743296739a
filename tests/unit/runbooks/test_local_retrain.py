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
