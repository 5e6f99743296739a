"""Stopping a run from outside its thread: abort (run on_failure) or interrupt (resumable).

A console runs a runbook in a worker thread; its abort key calls `abort()`,
and closing the console (a lost SSH session) calls `interrupt()`. The runner
asks `checkpoint()` between steps, and every wait of a step goes through
`sleep()`, so a stop lands within a fraction of a second even mid-wait.
"""

from __future__ import annotations

import threading

from runbooks.engine.environment import RunAborted

TICK_S = 0.1


class RunControl:
    """An abort or interrupt request shared between the UI thread and the run's thread."""

    def __init__(self) -> None:
        """Nothing requested yet."""
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._request = ""
        self._reason = ""

    def abort(self, reason: str) -> None:
        """Stop at the next checkpoint and run the on_failure steps (once: they then run freely)."""
        self._set("abort", reason)

    def interrupt(self, reason: str) -> None:
        """Stop at the next checkpoint without on_failure: the run stays `interrupted`."""
        self._set("interrupt", reason)

    def _set(self, request: str, reason: str) -> None:
        """Record the request (an interrupt outranks an abort) and wake a sleeping step."""
        with self._lock:
            if self._request != "interrupt":
                self._request, self._reason = request, reason
        self._wake.set()

    @property
    def requested(self) -> str:
        """`abort`, `interrupt`, or empty."""
        return self._request

    def checkpoint(self) -> None:
        """Raise RunAborted (abort) or KeyboardInterrupt (interrupt) when a stop was asked for."""
        with self._lock:
            request, reason = self._request, self._reason
            if request == "abort":
                self._request = ""  # one-shot: the failure steps must be able to run
                self._wake.clear()
        if request == "abort":
            raise RunAborted(reason)
        if request == "interrupt":
            raise KeyboardInterrupt(reason)

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking at once (and raising) when a stop is asked for."""
        self.checkpoint()
        if seconds > 0 and self._wake.wait(seconds):
            self.checkpoint()
