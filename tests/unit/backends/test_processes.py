"""`process_alive`: a running process is alive; one that exited is gone, reaped or not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from backends.processes import process_alive

NON_REAPING_PARENT = """
import os, time
child = os.fork()
if child == 0:
    os._exit(0)
print(child, flush=True)
time.sleep(60)  # never waits for the child: it stays a zombie
"""


def test_a_zombie_of_another_parent_is_gone_and_the_parent_alive() -> None:
    parent = subprocess.Popen([sys.executable, "-c", NON_REAPING_PARENT], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        while process_alive(child):
            assert time.monotonic() < deadline, "an exited, unreaped process still reads as alive"
            time.sleep(0.05)
        assert os.path.exists(f"/proc/{child}") or sys.platform != "linux"  # a zombie, not gone
        assert process_alive(parent.pid)
    finally:
        parent.kill()
        parent.wait()
    assert not process_alive(parent.pid)


def test_no_pid_is_not_alive() -> None:
    assert not process_alive(0)
    assert process_alive(os.getpid())
