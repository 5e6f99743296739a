"""One run at a time per model: exclusive lock files, taken before the gate records anything.

The lock is an `flock` on `<state dir>/locks/<model>.lock`, so taking it is
atomic between processes (and between threads that open it separately), and
the kernel drops it when its process dies: a crash never leaves a stale lock.
The holder writes who it is into the file, so a refused run can say who.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO


class ModelLock:
    """The lock of one model (or, for runs without a model, of the whole context)."""

    def __init__(self, state_dir: Path, model: str) -> None:
        """Where the lock of `model` lives; nothing is taken yet."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model) or "_context"
        self.path = state_dir / "locks" / f"{safe.lstrip('.') or '_'}.lock"
        self.model = model
        self._handle: IO[str] | None = None

    def acquire(self, holder: dict[str, object]) -> str:
        """Take the lock and write `holder` into it: "" on success, else why it is taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read()
            handle.close()
            return self._busy(text)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder, default=str))
        handle.flush()
        os.fsync(handle.fileno())
        self._handle = handle
        return ""

    def release(self) -> None:
        """Let the next run in; the file stays (removing it would race with a new holder)."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def _busy(self, text: str) -> str:
        """The refusal: which run holds the lock, as far as its file says."""
        target = self.model or "this context"
        try:
            holder = json.loads(text)
        except ValueError:
            holder = None
        if not isinstance(holder, dict):
            return f"another run is changing {target} right now; wait for it or stop it first"
        return (
            f"run {holder.get('run_id')} ({holder.get('runbook')}, pid {holder.get('pid')} on "
            f"{holder.get('host')}) is changing {target} right now; wait for it or stop it first"
        )


class RunLocks:
    """The locks of every model a run touches, taken all or none, in name order."""

    def __init__(self, state_dir: Path, models: set[str]) -> None:
        """One lock per model; a run that names no model locks the context."""
        self._locks = [ModelLock(state_dir, model) for model in sorted(models or {""})]

    def acquire(self, holder: dict[str, object]) -> str:
        """Take every lock: "" on success, else why not (and none is kept)."""
        taken: list[ModelLock] = []
        for lock in self._locks:
            busy = lock.acquire(holder)
            if busy:
                for held in taken:
                    held.release()
                return busy
            taken.append(lock)
        return ""

    def release(self) -> None:
        """Release every lock taken."""
        for lock in self._locks:
            lock.release()
