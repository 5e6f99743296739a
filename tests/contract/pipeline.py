"""A tiny training pipeline over HTTP on 127.0.0.1, for the webhook RetrainTrigger contract.

It answers as a CI or Airflow hook would: POST /retrain starts a job, GET
/retrain/<id> reports it (each poll moves it on: queued, running, succeeded),
POST /retrain/<id>/cancel stops it, and anything without the token is 401.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NEXT_STATUS = {"queued": "running", "running": "succeeded"}


@dataclass(frozen=True)
class Pipeline:
    """Where the pipeline listens and the environment variable holding its token."""

    url: str
    token_env: str


class _Handler(BaseHTTPRequestHandler):
    """Jobs in the server's `jobs` dict; every answer is JSON."""

    server: _PipelineServer

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _allowed(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.server.token}":
            return True
        self._answer(401, {"error": "bad token"})
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._allowed():
            return
        parts = self.path.strip("/").split("/")
        with self.server.lock:
            if parts == ["retrain"]:
                job_id = f"p-{len(self.server.jobs) + 1}"
                job = {"job_id": job_id, "model": body["model"], "status": "queued"}
                self.server.jobs[job_id] = job
                self._answer(202, job)
            elif len(parts) == 3 and parts[2] == "cancel" and parts[1] in self.server.jobs:
                job = self.server.jobs[parts[1]]
                if job["status"] in ("queued", "running"):
                    job["status"] = "cancelled"
                self._answer(200, job)
            else:
                self._answer(404, {"error": "no such job"})

    def do_GET(self) -> None:
        if not self._allowed():
            return
        parts = self.path.strip("/").split("/")
        with self.server.lock:
            job = self.server.jobs.get(parts[1]) if len(parts) == 2 else None
            if job is None:
                self._answer(404, {"error": "no such job"})
                return
            job["status"] = NEXT_STATUS.get(job["status"], job["status"])
            progress = {"succeeded": 1.0, "running": 0.5}.get(job["status"], 0.0)
            self._answer(200, {**job, "progress": progress})

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is not the place for access logs."""


class _PipelineServer(ThreadingHTTPServer):
    """The HTTP server with the pipeline's jobs and token."""

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = token
        self.jobs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()


@contextlib.contextmanager
def running_pipeline() -> Iterator[Pipeline]:
    """Serve the pipeline on a free port with a fresh token in the environment; stop it after."""
    token_env = f"VIGIL_CONTRACT_PIPELINE_TOKEN_{secrets.token_hex(4).upper()}"
    server = _PipelineServer(secrets.token_hex(16))
    os.environ[token_env] = server.token
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Pipeline(f"http://{host!s}:{port}/retrain", token_env)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        del os.environ[token_env]
