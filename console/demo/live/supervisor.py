"""Start local_serving and the traffic driver as children of `vigil demo`; stop both by PID.

Each child runs in its own process group (a terminal's Ctrl-C reaches only
`vigil demo`, which then stops the driver first and the server second) and,
on Linux, is told to receive SIGTERM if `vigil demo` dies without cleaning up.
Their output goes to `W/live/serving.log` and `W/live/driver.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType, TracebackType

LOG_DIR = "live"
SERVING_FILE = "serving.json"
SAMPLE_RATE = "1.0"
FLUSH_INTERVAL_S = "5"
STOP_WAIT_S = 15.0


class LiveError(Exception):
    """The live demo could not start: the message says why and where the log is."""


class LiveDemo:
    """The server and driver processes of one live demo on `workspace`."""

    def __init__(self, workspace: Path, *, seed: int, port: int = 0) -> None:
        """Remember what to start; nothing runs until `start`."""
        self.workspace = workspace
        self.seed = seed
        self.port = port
        self.url: str | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.driver: subprocess.Popen[bytes] | None = None
        self.logs = workspace / LOG_DIR

    def __enter__(self) -> LiveDemo:
        """Start both children; SIGTERM and SIGHUP stop them as Ctrl-C does."""
        self._previous = {
            signum: signal.signal(signum, _interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)
        }
        try:
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop both children and restore the signal handlers."""
        self.stop()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def start(self, timeout_s: float = 120.0) -> str:
        """Start the server, wait until it announces itself, then start the driver."""
        self.logs.mkdir(exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "local_serving",
            "--workspace",
            str(self.workspace),
            "--port",
            str(self.port),
            "--sample-rate",
            SAMPLE_RATE,
            "--flush-interval",
            FLUSH_INTERVAL_S,
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.server = _spawn(command, self.logs / "serving.log")
        self.url = self._wait_for_server(timeout_s)
        driver = [sys.executable, "-m", "console.demo.live.driver"]
        driver += ["--workspace", str(self.workspace), "--seed", str(self.seed)]
        self.driver = _spawn(driver, self.logs / "driver.log")
        return self.url

    def _wait_for_server(self, timeout_s: float) -> str:
        """The URL in W/serving.json once our server wrote it; a LiveError if it exits first."""
        assert self.server is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise LiveError(
                    f"local_serving exited with {self.server.returncode} before serving: "
                    f"{_tail(self.logs / 'serving.log')}"
                )
            try:
                info = json.loads((self.workspace / SERVING_FILE).read_text())
                if int(info["pid"]) == self.server.pid:
                    return str(info["url"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.2)
        raise LiveError(f"local_serving did not start within {timeout_s:.0f} s (see {self.logs})")

    def failed_child(self) -> str | None:
        """The name of a child that exited on its own, with its log's last line, else None."""
        for name, child in (("local_serving", self.server), ("driver", self.driver)):
            if child is not None and child.poll() is not None:
                log = self.logs / ("serving.log" if child is self.server else "driver.log")
                return f"{name} exited with {child.returncode}: {_tail(log)}"
        return None

    def stop(self) -> None:
        """Stop the driver, then the server (SIGTERM, then SIGKILL after a wait), by PID."""
        for child in (self.driver, self.server):
            if child is None or child.poll() is not None:
                continue
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """One child in its own process group, output to `log`, dying with its parent on Linux."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _die_with_parent() -> None:
    """In the child: ask Linux for SIGTERM when the parent exits (PR_SET_PDEATHSIG)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM / SIGHUP: unwind like Ctrl-C so the children are stopped on the way out."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _tail(log: Path) -> str:
    """The last non-empty line of a log, for an error message."""
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return f"(no log at {log})"
    return lines[-1][:300] if lines else f"(empty log {log})"
