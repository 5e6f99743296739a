"""A signal ends the console within a bounded time, even when its exit hangs on a stuck worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP = """
import pathlib, sys, threading
from textual.app import App
from textual.widgets import Static
from console.tui.hangup import ExitOnHangup

stuck = threading.Event()

class Stuck(App):
    def compose(self):
        yield Static("up")
    def on_mount(self):
        if sys.argv[1] == "stuck":
            self.run_worker(stuck.wait, thread=True)  # never returns: asyncio.run waits for it
        print("mounted", flush=True)

app = Stuck()
hangup = ExitOnHangup(app, grace_s=1.0)
app.run(headless=True)
hangup.disarm()
pathlib.Path(sys.argv[2]).write_text(f"returned {app.return_value}")  # stdout is gone on SIGHUP
"""


def _run_and_signal(mode: str, signum: int, state: Path) -> tuple[int, str, float]:
    """Start the app, signal it once mounted; its exit code, what it returned, seconds to exit."""
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    process = subprocess.Popen(
        [sys.executable, "-c", APP, mode, str(state / "result")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "mounted"
    started = time.monotonic()
    process.send_signal(signum)
    process.communicate(timeout=60)
    result = state / "result"
    returned = result.read_text() if result.exists() else ""
    return process.returncode, returned, time.monotonic() - started


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_console_with_exit_code_1(signum: int, tmp_path: Path) -> None:
    code, out, _ = _run_and_signal("idle", signum, tmp_path)
    assert "returned 1" in out
    assert code == 0  # the script itself returns after the app did
    assert not (tmp_path / "vigil" / "vigil.log").exists()


def test_an_exit_stuck_on_a_worker_ends_the_process_and_logs_the_threads(tmp_path: Path) -> None:
    code, out, took = _run_and_signal("stuck", signal.SIGTERM, tmp_path)
    assert code == 1
    assert "returned" not in out
    assert took < 30
    log = (tmp_path / "vigil" / "vigil.log").read_text()
    assert "still running 1 s after SIGTERM" in log
    assert "in wait" in log  # the stuck worker's frame is in the dump
