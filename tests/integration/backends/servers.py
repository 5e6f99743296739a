"""Start the real servers behind Vigil's backends on 127.0.0.1 and stop them by PID.

Each server runs from its own virtual environment, created by
`scripts/test_servers.sh` in `$VIGIL_TEST_ENVS` (default
`~/.cache/vigil-test-envs`). A missing environment fails the test with the
command that creates it: the suite never skips a server it cannot find.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT_S = 120.0


def envs_dir() -> Path:
    """Where the servers' virtual environments live."""
    default = Path.home() / ".cache" / "vigil-test-envs"
    return Path(os.environ.get("VIGIL_TEST_ENVS", str(default))).expanduser()


def env_bin(env: str, program: str) -> Path:
    """A program of a server's env; a missing env fails the test and says how to create it."""
    path = envs_dir() / env / "bin" / program
    if not path.exists():
        pytest.fail(
            f"the {env} test environment is missing ({path} does not exist): "
            f"run `bash scripts/test_servers.sh {env}` (scripts/test.sh does)",
            pytrace=False,
        )
    return path


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server process started by a test: its URL, its PID and where its log goes."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        """The PID of the server (the leader of its own process group)."""
        return int(self.process.pid)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The end of the server's log, for a failure message."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM the server's process group by PID; SIGKILL what is left of it after 10 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._group_alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def _group_alive(self) -> bool:
        """True while any process of the server's group (its children too) runs."""
        self.process.poll()
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return True


def start(
    name: str,
    command: Sequence[str],
    url: str,
    ready: Callable[[httpx.Client], bool],
    folder: Path,
    *,
    env: dict[str, str] | None = None,
    timeout_s: float = READY_TIMEOUT_S,
) -> Server:
    """Start `command` in its own process group and wait (bounded) until `ready` says so."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    server = Server(name, url, process, log)
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                pytest.fail(f"{name} exited with {process.returncode}:\n{server.tail()}")
            try:
                if ready(client):
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    server.stop()
    pytest.fail(f"{name} was not ready within {timeout_s:g} s:\n{server.tail()}")


@contextlib.contextmanager
def running(server_factory: Callable[[], Server]) -> Iterator[Server]:
    """A server for the block, stopped by PID after it (also when the block fails)."""
    server = server_factory()
    try:
        yield server
    finally:
        server.stop()


def ok(path: str, method: str = "GET") -> Callable[[httpx.Client], bool]:
    """A readiness check: `path` answers 200."""

    def check(client: httpx.Client) -> bool:
        return client.request(method, path).status_code == 200

    return check
