"""Build a workspace with tiny real models and run `python -m local_serving` on it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from local_serving.examples import register_logistic

FRAUD_V1 = ([0.5, -0.25, 1.0], 0.1)
FRAUD_V2 = ([0.2, 0.3, -0.4], -0.2)
CHURN_V1 = ([1.0, -1.0], 0.5)
CHURN_V2 = ([-0.5, 0.75], 0.0)
TOKEN = "test-token-0123456789"


def expected_scores(model: tuple[list[float], float], x: np.ndarray) -> np.ndarray:
    """sigmoid(x @ w + b), the logistic regression computed by hand."""
    weights, bias = model
    return 1.0 / (1.0 + np.exp(-(x @ np.asarray(weights) + bias)))


def build_workspace(root: Path) -> Path:
    """fraud v1 (champion) and v2 as ONNX; churn v1 TorchScript (champion), v2 torch.export."""
    register_logistic(root, "fraud", "1", *FRAUD_V1, aliases=["champion"])
    register_logistic(root, "fraud", "2", *FRAUD_V2)
    register_logistic(root, "churn", "1", *CHURN_V1, runtime="torchscript", aliases=["champion"])
    register_logistic(root, "churn", "2", *CHURN_V2, runtime="torch.export")
    return root


@dataclass
class Running:
    """A server process on a workspace."""

    url: str
    workspace: Path
    process: subprocess.Popen[bytes]
    http: httpx.Client
    token: str = TOKEN

    @property
    def admin(self) -> dict[str, str]:
        """Headers with the admin token."""
        return {"Authorization": f"Bearer {self.token}"}


def start_server(
    workspace: Path, *extra: str, timeout_s: float = 90.0, own_group: bool = False
) -> Running:
    """Start the server on a free port; wait until W/serving.json names it and it is ready.

    `own_group` runs it in a process group of its own, so a test can signal the group
    as a terminal's Ctrl-C would.
    """
    token_file = workspace / "test.tokens"
    token_file.write_text(f"tester:{TOKEN}\n")
    token_file.chmod(0o600)
    serving = workspace / "serving.json"
    serving.unlink(missing_ok=True)
    log = open(workspace / "server.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "local_serving", "--workspace", str(workspace), "--port", "0",
         "--token-file", str(token_file), "--log-level", "warning", *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=own_group,
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(workspace / 'server.log').read_text()[-2000:]}")
        try:
            info = json.loads(serving.read_text())
            if info["pid"] == process.pid:
                client = httpx.Client(base_url=info["url"], timeout=30)
                if client.get("/v2/health/ready").is_success:
                    return Running(info["url"], workspace, process, client)
                client.close()
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not become ready")


def stop_server(running: Running, timeout_s: float = 30.0) -> int:
    """SIGTERM (a graceful drain), then wait; returns the exit code."""
    running.http.close()
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
    try:
        return running.process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        running.process.kill()
        return running.process.wait()
