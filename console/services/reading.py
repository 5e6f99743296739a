"""`Reading[T]`: a value or an error, stamped with when and where it was read.

Every backend call goes through `read`, which runs it with a timeout in a daemon
thread and never raises: a backend that is down or hangs becomes an error
reading that degrades one panel or column, not the application. A hung backend
holds one thread, however often it is read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar, cast

from console.services.clock import Clock, utc_now

T = TypeVar("T")
U = TypeVar("U")

MAX_ERROR_CHARS = 160


@dataclass(frozen=True)
class Reading(Generic[T]):
    """A value (or the error that replaced it), when it was read and from which source."""

    value: T | None
    read_at: datetime
    source: str
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the last attempt succeeded."""
        return self.error is None

    def age_s(self, now: datetime) -> float:
        """Seconds since the value was read."""
        return max(0.0, (now - self.read_at).total_seconds())

    def map(self, function: Callable[[T], U]) -> Reading[U]:
        """The same stamp around `function(value)`; an error or missing value passes through."""
        value = function(self.value) if self.value is not None else None
        return Reading(value, self.read_at, self.source, self.error, self.elapsed_s)

    def keep_last_good(self, previous: Reading[T] | None) -> Reading[T]:
        """After a failed refresh, keep the previous value and its (older) stamp, with the error."""
        if self.ok or previous is None or previous.value is None:
            return self
        return replace(previous, error=self.error)


def read(
    call: Callable[[], T],
    *,
    source: str,
    timeout_s: float = 5.0,
    clock: Clock = utc_now,
) -> Reading[T]:
    """Run a backend call with a timeout and stamp the result; never raises.

    A call that times out keeps running in its daemon thread; while it hangs,
    further reads of the same source answer at once with an error instead of
    starting another thread, so a hung backend holds one thread, not one per call.
    """
    if HUNG.busy(source):
        return Reading(None, clock(), source, f"still waiting for an earlier {source} read", 0.0)
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()

    def target() -> None:
        """Run the call and keep its result or exception."""
        try:
            outcome.append((True, call()))
        except Exception as error:
            outcome.append((False, error))
        finally:
            done.set()
            HUNG.release(source, threading.current_thread())

    started = time.perf_counter()
    worker = threading.Thread(target=target, name=f"vigil-read:{source}", daemon=True)
    worker.start()
    if not done.wait(timeout_s):
        HUNG.hold(source, worker)
    elapsed = time.perf_counter() - started
    if not outcome:
        return Reading(None, clock(), source, f"timed out after {timeout_s:g} s", elapsed)
    succeeded, result = outcome[0]
    if succeeded:
        return Reading(cast(T, result), clock(), source, None, elapsed)
    return Reading(None, clock(), source, describe_error(result), elapsed)


class HungReads:
    """The threads of reads that timed out and still run, by source."""

    def __init__(self) -> None:
        """No hung read yet."""
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def hold(self, source: str, thread: threading.Thread) -> None:
        """Remember a read that timed out (unless it finished in the meantime)."""
        with self._lock:
            if thread.is_alive():
                self._threads[source] = thread

    def release(self, source: str, thread: threading.Thread) -> None:
        """A read ended: its source is free again if this was its hung read."""
        with self._lock:
            if self._threads.get(source) is thread:
                del self._threads[source]

    def busy(self, source: str) -> bool:
        """Whether a timed-out read of `source` is still running."""
        with self._lock:
            thread = self._threads.get(source)
            return thread is not None and thread.is_alive()


HUNG = HungReads()


def describe_error(error: object) -> str:
    """One short line for an exception: the message, or its type when it has none."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def format_age(seconds: float) -> str:
    """A compact age: `12 s`, `7 min`, `3 h`, `2 d`."""
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def staleness(reading: Reading[object], now: datetime, fresh_s: float) -> str:
    """How a reading should be described: `fresh`, `stale for 7 min`, or `no data`."""
    if reading.value is None:
        return "no data"
    age = reading.age_s(now)
    if age <= fresh_s and reading.ok:
        return "fresh"
    return f"stale for {format_age(age)}"
