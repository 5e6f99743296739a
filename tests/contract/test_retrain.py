"""RetrainTrigger: a started job names its model, is followed to an end, and can be cancelled."""

from __future__ import annotations

import time

import pytest

from backends.contracts import NotFoundError, RetrainJob, RetrainTrigger
from tests.contract.factories import factories_for

RETRAIN = factories_for(RetrainTrigger)
MODEL = "fraud-detector"
ENDED = ("succeeded", "failed", "cancelled")


def _follow(backend, job_id: str, timeout_s: float = 120.0) -> RetrainJob:
    """Poll the job until it ends (or the deadline passes)."""
    deadline = time.monotonic() + timeout_s
    job = backend.job(job_id)
    while job.status not in ENDED and time.monotonic() < deadline:
        time.sleep(0.2)
        job = backend.job(job_id)
    return job


@pytest.mark.parametrize("backend", RETRAIN, indirect=True)
def test_start_returns_a_pending_job_for_the_model(backend) -> None:
    job = backend.start(MODEL, "drift on amount", {})
    assert isinstance(job.job_id, str) and job.job_id
    assert job.model == MODEL
    assert job.status in ("queued", "running")
    assert 0.0 <= job.progress <= 1.0
    again = backend.start(MODEL, "again", {})
    assert again.job_id != job.job_id
    for started in (job, again):
        backend.cancel(started.job_id)


@pytest.mark.parametrize("backend", RETRAIN, indirect=True)
def test_a_followed_job_ends(backend) -> None:
    job = backend.start(MODEL, "drift on amount", {})
    ended = _follow(backend, job.job_id)
    assert ended.status in ENDED
    assert (ended.job_id, ended.model) == (job.job_id, MODEL)
    assert backend.job(job.job_id).status == ended.status, "an ended job stays ended"


@pytest.mark.parametrize("backend", RETRAIN, indirect=True)
def test_a_cancelled_job_stays_cancelled(backend) -> None:
    job = backend.start(MODEL, "drift on amount", {})
    assert backend.cancel(job.job_id).status == "cancelled"
    assert backend.job(job.job_id).status == "cancelled"
    assert _follow(backend, job.job_id, timeout_s=2.0).status == "cancelled"


@pytest.mark.parametrize("backend", RETRAIN, indirect=True)
def test_an_unknown_job_is_not_found(backend) -> None:
    with pytest.raises(NotFoundError):
        backend.job("no-such-job")
