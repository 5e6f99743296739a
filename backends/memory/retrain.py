"""RetrainTrigger in memory: a job finishes when first followed, registering a challenger."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from backends.contracts import NotFoundError, RetrainJob
from backends.memory.registry import MemoryRegistry


class MemoryRetrain(MemoryRegistry):
    """Jobs by id; following a running job finishes it with a new version as `challenger`."""

    def __init__(self) -> None:
        """No jobs yet."""
        super().__init__()
        self._jobs: dict[str, RetrainJob] = {}
        self._job_ids = itertools.count(1)

    def start(self, model: str, reason: str, params: Mapping[str, Any]) -> RetrainJob:
        """Start a job; returns it running."""
        self._check("retrain")
        with self._lock:
            job = RetrainJob(
                f"job-{next(self._job_ids)}", model, "running", 0.0, started_at=self.now()
            )
            self._jobs[job.job_id] = job
            self._record("retrain", reason, dict(params))
        return job

    def job(self, job_id: str) -> RetrainJob:
        """The job; a running one ends now: the next version registered as challenger."""
        self._check("retrain")
        with self._lock:
            job = self._job(job_id)
            if job.status != "running":
                return job
            entry = self._models.get(job.model)
            if entry is None or not entry.versions:
                message = f"no version of {job.model} to retrain from"
                failed = replace(job, status="failed", finished_at=self.now(), message=message)
                self._jobs[job_id] = failed
                return failed
            newest = max(entry.versions.values(), key=lambda v: (v.created_at, v.version))
            numbers = [int(v) for v in entry.versions if v.isdigit()]
            version = str(max(numbers, default=0) + 1)
            self.register_version(
                replace(
                    newest,
                    version=version,
                    created_at=self.now(),
                    aliases=("challenger",),
                    description=f"retrained by {job_id}",
                )
            )
            done = replace(
                job, status="succeeded", progress=1.0, finished_at=self.now(), new_version=version
            )
            self._jobs[job_id] = done
            return done

    def cancel(self, job_id: str) -> RetrainJob:
        """Stop a job that has not finished; a finished job stays as it ended."""
        self._check("retrain")
        with self._lock:
            job = self._job(job_id)
            if job.status in ("queued", "running"):
                job = replace(job, status="cancelled", finished_at=self.now(), message="cancelled")
                self._jobs[job_id] = job
            return job

    def _job(self, job_id: str) -> RetrainJob:
        """A job by id, or NotFoundError."""
        found = self._jobs.get(job_id)
        if found is None:
            raise NotFoundError(f"no retraining job {job_id!r}")
        return found
