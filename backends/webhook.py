"""RetrainTrigger over an HTTP webhook: an external pipeline (Airflow, CI) does the training.

`start` posts JSON `{model, reason, params}` to the URL with a bearer token read
from an environment variable (never from config, never logged). The pipeline
answers with a job id (`{"job_id": ...}`, optionally `status`, `progress`,
`new_version`, `message`); `job(id)` GETs `<url>/<id>` and `cancel(id)` POSTs
`<url>/<id>/cancel` when the pipeline supports following jobs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from backends.contracts import BackendError, NotFoundError, RetrainJob
from backends.discovery import Option

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class WebhookRetrainTrigger:
    """Start retraining by posting to a webhook; follow the job at `<url>/<job_id>`."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("url", "url", "where jobs are posted"),
        Option("token_env", "string", "the variable with the bearer token", "VIGIL_WEBHOOK_TOKEN"),
        Option("timeout_s", "number", "seconds before a request gives up", 10),
    )

    def __init__(
        self, url: str, token_env: str = "VIGIL_WEBHOOK_TOKEN", timeout_s: float = 10
    ) -> None:
        """Post to `url`; the bearer token is read from `$token_env` at each call."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s)://, not {url!r}")
        self.url = url.rstrip("/")
        self.token_env = token_env
        self.timeout_s = float(timeout_s)

    def start(self, model: str, reason: str, params: Mapping[str, Any]) -> RetrainJob:
        """Post {model, reason, params}; the answer names the job."""
        body = {"model": model, "reason": reason, "params": dict(params)}
        answer = self._call("POST", self.url, body)
        if not isinstance(answer.get("job_id"), str | int):
            raise BackendError(f"webhook {self.url} answered without a job_id")
        return _job(answer, model, default_status="queued")

    def job(self, job_id: str) -> RetrainJob:
        """The job's state as the pipeline reports it."""
        return _job(self._call("GET", f"{self.url}/{job_id}", None), "", default_status="running")

    def cancel(self, job_id: str) -> RetrainJob:
        """Ask the pipeline to stop the job."""
        answer = self._call("POST", f"{self.url}/{job_id}/cancel", {})
        return _job({"job_id": job_id, "status": "cancelled", **answer}, "", "cancelled")

    def _call(self, method: str, url: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
        """One request with the token from the environment; errors name the URL, never the token."""
        import httpx

        headers = {"Accept": "application/json"}
        token = os.environ.get(self.token_env)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = httpx.request(
                method, url, json=body, headers=headers, timeout=self.timeout_s
            )
        except httpx.HTTPError as error:
            raise BackendError(f"webhook {url} unreachable: {type(error).__name__}") from None
        if response.status_code == 404:
            raise NotFoundError(f"webhook {url}: not found")
        if response.status_code in (401, 403):
            raise BackendError(f"webhook {url} refused the token (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise BackendError(f"webhook {url} answered HTTP {response.status_code}")
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise BackendError(f"webhook {url} did not answer JSON") from None
        if not isinstance(answer, dict):
            raise BackendError(f"webhook {url} answered {type(answer).__name__}, not an object")
        return answer


def _job(answer: Mapping[str, Any], model: str, default_status: str) -> RetrainJob:
    """A RetrainJob from the pipeline's JSON, tolerating missing fields."""
    status = str(answer.get("status", default_status))
    if status not in STATUSES:
        status = default_status
    try:
        progress = min(1.0, max(0.0, float(answer.get("progress", 0.0))))
    except (TypeError, ValueError):
        progress = 0.0
    new_version = answer.get("new_version")
    return RetrainJob(
        job_id=str(answer.get("job_id")),
        model=str(answer.get("model", model)),
        status=status,  # type: ignore[arg-type]
        progress=progress,
        new_version=None if new_version is None else str(new_version),
        message=str(answer.get("message", "")),
    )
