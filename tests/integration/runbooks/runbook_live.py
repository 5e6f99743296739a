"""A demo workspace copy with local_serving running on it, and `vigil` run as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

TOKEN = "runbook-test-token-0123456789"
MODEL = "fraud-detector"
DEMO_SPLIT = {"2": 90, "3": 10}


@dataclass
class Live:
    """A running server on a private workspace."""

    url: str
    workspace: Path
    process: subprocess.Popen[bytes]

    def weights(self, model: str = MODEL) -> dict[str, int]:
        """The live split from the admin API, versions with traffic only."""
        response = httpx.get(
            f"{self.url}/admin/models/{model}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()
        return {str(k): int(v) for k, v in response.json()["weights"].items() if int(v)}

    def set_weights(self, weights: dict[str, int], model: str = MODEL) -> None:
        """Set the live split through the admin API (test set-up only)."""
        response = httpx.put(
            f"{self.url}/admin/models/{model}/traffic",
            json={"weights": weights},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        response.raise_for_status()

    def vigil(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`vigil --workspace W ...` in a subprocess without a terminal."""
        return subprocess.run(
            [sys.executable, "-m", "console", "--workspace", str(self.workspace), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env={**os.environ, "NO_COLOR": "1"},
        )

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """`vigil --workspace W ...` started in the background."""
        return subprocess.Popen(
            [sys.executable, "-m", "console", "--workspace", str(self.workspace), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )


def copy_workspace(source: Path, target: Path) -> Path:
    """A private copy of the demo workspace (runbooks change it), without any server file."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("serving.json", "*.tokens"))
    return target


def start(workspace: Path, timeout_s: float = 120.0) -> Live:
    """Start local_serving on a free port with every version loaded; wait until ready."""
    token_file = workspace / "runbooks.tokens"
    token_file.write_text(f"runbook-tests:{TOKEN}\n")
    token_file.chmod(0o600)  # local_serving refuses a token file others can read
    token_file.chmod(0o600)
    serving = workspace / "serving.json"
    log = open(workspace / "server.log", "ab")  # noqa: SIM115 - the child writes to it
    process = subprocess.Popen(
        [sys.executable, "-m", "local_serving", "--workspace", str(workspace), "--port", "0",
         "--token-file", str(token_file), "--log-level", "warning", "--all-versions"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(workspace / 'server.log').read_text()[-2000:]}")
        try:
            info = json.loads(serving.read_text())
            if (
                info["pid"] == process.pid
                and httpx.get(f"{info['url']}/v2/health/ready").is_success
            ):
                return Live(info["url"], workspace, process)
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("local_serving did not become ready")


def stop(live: Live) -> None:
    """SIGTERM and wait (kill after 30 s)."""
    if live.process.poll() is None:
        live.process.send_signal(signal.SIGTERM)
    try:
        live.process.wait(30)
    except subprocess.TimeoutExpired:
        live.process.kill()
        live.process.wait()
