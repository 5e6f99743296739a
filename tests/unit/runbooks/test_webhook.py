"""WebhookRetrainTrigger against a tiny real HTTP server started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from backends.contracts import BackendError, NotFoundError
from backends.webhook import WebhookRetrainTrigger

TOKEN = "s3cret-token-value"


class Pipeline(BaseHTTPRequestHandler):
    """A fake training pipeline: accepts jobs with the right token, reports and cancels them."""

    received: ClassVar[list[tuple[str, str, dict, str | None]]] = []

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_POST(self) -> None:
        body = self._read()
        auth = self.headers.get("Authorization")
        self.received.append(("POST", self.path, body, auth))
        if auth != f"Bearer {TOKEN}":
            self._answer(401, {"error": "bad token"})
        elif self.path == "/hooks/retrain":
            self._answer(202, {"job_id": "j-1", "status": "queued"})
        elif self.path == "/hooks/notify":
            self._answer(200, {})
        elif self.path == "/hooks/retrain/j-1/cancel":
            self._answer(200, {"status": "cancelled"})
        else:
            self._answer(404, {})

    def do_GET(self) -> None:
        self.received.append(("GET", self.path, {}, self.headers.get("Authorization")))
        if self.path == "/hooks/retrain/j-1":
            self._answer(
                200, {"job_id": "j-1", "status": "succeeded", "progress": 1.0, "new_version": 7}
            )
        else:
            self._answer(404, {})

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def pipeline() -> Iterator[str]:
    """The fake pipeline on a free port of 127.0.0.1; yields the hook URL."""
    Pipeline.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pipeline)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/retrain"
    server.shutdown()
    server.server_close()


def test_start_posts_model_reason_params_with_the_token(pipeline: str, monkeypatch) -> None:
    monkeypatch.setenv("VIGIL_WEBHOOK_TOKEN", TOKEN)
    trigger = WebhookRetrainTrigger(pipeline)
    job = trigger.start("fraud-detector", "drift: amount", {"epochs": 3})
    assert (job.job_id, job.status, job.model) == ("j-1", "queued", "fraud-detector")
    method, path, body, auth = Pipeline.received[0]
    assert (method, path) == ("POST", "/hooks/retrain")
    assert body == {"model": "fraud-detector", "reason": "drift: amount", "params": {"epochs": 3}}
    assert auth == f"Bearer {TOKEN}"
    followed = trigger.job("j-1")
    assert (followed.status, followed.new_version, followed.progress) == ("succeeded", "7", 1.0)
    assert trigger.cancel("j-1").status == "cancelled"


def test_a_refused_token_is_an_error_that_does_not_show_it(pipeline: str, monkeypatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "wrong-" + TOKEN)
    trigger = WebhookRetrainTrigger(pipeline, token_env="MY_TOKEN")
    with pytest.raises(BackendError) as caught:
        trigger.start("fraud-detector", "drift", {})
    assert "HTTP 401" in str(caught.value) and TOKEN not in str(caught.value)


def test_unknown_job_and_unreachable_pipeline(pipeline: str, monkeypatch) -> None:
    monkeypatch.setenv("VIGIL_WEBHOOK_TOKEN", TOKEN)
    with pytest.raises(NotFoundError):
        WebhookRetrainTrigger(pipeline).job("nope")
    dead = WebhookRetrainTrigger("http://127.0.0.1:9/hook", timeout_s=2)
    with pytest.raises(BackendError, match="unreachable"):
        dead.start("fraud-detector", "drift", {})


def test_a_url_that_is_not_http_is_rejected() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookRetrainTrigger("file:///etc/passwd")


def test_a_notify_step_posts_to_a_webhook_with_the_token(
    pipeline: str, tmp_path, monkeypatch
) -> None:
    from runbooks.engine import Runner
    from runbooks.spec import load_runbook_text
    from tests.datasets.runbook_system import RunbookSystem, environment

    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    text = f"""\
name: tell
description: d
risk: low
steps:
  - type: notify
    channel: webhook
    url: {pipeline.rsplit("/", 1)[0]}/notify
    token_env: HOOK_TOKEN
    message: rollback done
"""
    system = RunbookSystem()
    env, _ = environment(system, tmp_path)
    result = Runner(env).run(load_runbook_text(text), {})
    assert result.status == "succeeded"
    method, path, body, auth = Pipeline.received[0]
    assert (method, path, auth) == ("POST", "/hooks/notify", f"Bearer {TOKEN}")
    assert body["text"] == "rollback done" and body["run_id"] == result.run_id
    assert all(TOKEN not in repr(record) for record in system.audit)
