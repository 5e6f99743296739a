"""A lost terminal (SIGHUP) or a SIGTERM ends the console, within a bounded time.

The console is asked to exit as `q` would (a run in progress is interrupted
and says so). On SIGHUP the terminal is gone: the standard streams are pointed
at /dev/null first, so no thread of the process (Textual's writer and input
threads, a late print) errors or blocks on the dead terminal. If the console
has still not returned after `EXIT_GRACE_S` (a worker stuck in a read, say),
every thread's stack goes to Vigil's log and the process ends with exit code 1;
files Vigil writes are replaced atomically, so nothing is half-written, and the
live demo's children are told to stop by the kernel (they die with their parent).
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from textual.app import App

from console.tui.internal_errors import log_path

EXIT_GRACE_S = 10.0
"""How long the console may take to exit after the signal before the process is ended."""
SIGNALS = ("SIGHUP", "SIGTERM")


class ExitOnHangup:
    """The handlers for one console run; `disarm` once the console has returned."""

    def __init__(self, app: App[Any], grace_s: float = EXIT_GRACE_S) -> None:
        """Install the handlers for `app` (a running Textual app once the signal comes)."""
        self.app = app
        self.grace_s = grace_s
        self.watchdog: threading.Timer | None = None
        numbers = [getattr(signal, name) for name in SIGNALS if hasattr(signal, name)]
        self.previous = {signum: signal.signal(signum, self.quit_app) for signum in numbers}

    def quit_app(self, signum: int, frame: FrameType | None) -> None:
        """Ask the app to exit; on SIGHUP leave the dead terminal first; bound the wait."""
        if signum == getattr(signal, "SIGHUP", None):
            detach_from_terminal()
        if self.watchdog is None:
            self.watchdog = start_watchdog(signal.Signals(signum).name, self.grace_s)
        try:
            asyncio.get_running_loop().call_soon_threadsafe(self.app.exit, 1)
        except RuntimeError:  # no loop yet or any more: nothing is running to stop
            raise SystemExit(1) from None

    def disarm(self) -> None:
        """The console has returned: the handlers before it are back, the watchdog is off."""
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if self.watchdog is not None:
            self.watchdog.cancel()


def detach_from_terminal() -> None:
    """Point stdin, stdout and stderr at /dev/null: reads see EOF, writes vanish."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    finally:
        os.close(null)


def start_watchdog(reason: str, grace_s: float = EXIT_GRACE_S) -> threading.Timer:
    """End the process if it is still running `grace_s` after `reason`, its stacks logged."""
    timer = threading.Timer(grace_s, end_process, args=(reason, grace_s))
    timer.daemon = True
    timer.start()
    return timer


def end_process(reason: str, grace_s: float) -> None:
    """Log every thread's stack (why the exit hung) and end the process with exit code 1."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            log.write(f"{stamp} pid {os.getpid()} still running {grace_s:.0f} s after {reason}; ")
            log.write("ending it. Threads:\n")
            log.flush()
            faulthandler.dump_traceback(log, all_threads=True)
    except OSError:
        pass
    os._exit(1)
