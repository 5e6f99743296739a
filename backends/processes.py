"""Whether a local process still runs: shared by retraining jobs and runbook runs."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs on this host (a reaped zombie child counts as gone)."""
    if pid <= 0:
        return False
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
