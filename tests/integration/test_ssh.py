"""The console over a real SSH session, as it is used: a rollback by keys, then a dropped link.

The test starts its own `sshd` on 127.0.0.1 (Debian's openssh-server;
key-only authentication with a throw-away host key and user key, stopped by
PID) and runs `vigil` through `ssh -t` inside a private tmux, against
local_serving on a copy of the demo workspace. It rolls the fraud-detector
canary back with keys only and checks the server's split and the audit
record (user and host); then it kills the ssh client mid-run and checks that
the far `vigil` exits within seconds, leaves no process behind, and that its
run is `interrupted` and can be reverted.
"""

from __future__ import annotations

import getpass
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backends.embedded import EmbeddedBackend
from runbooks.engine.state import list_runs
from tests.integration.runbooks.runbook_live import (
    DEMO_SPLIT,
    MODEL,
    Live,
    copy_workspace,
    start,
    stop,
)
from tests.tui.tmux import TmuxSession

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SSHD = Path("/usr/sbin/sshd")
ROOT = Path(__file__).resolve().parents[2]
SLOW = """\
name: slow-shift
description: shift traffic, hold ten minutes, shift again
risk: medium
parameters:
  model: {type: string, required: true, description: the model}
steps:
  - name: shift
    type: set_weights
    weights: {"2": 80, "3": 20}
  - name: hold
    type: wait
    duration: 10m
  - name: more
    type: set_weights
    weights: {"2": 50, "3": 50}
"""


@dataclass
class Sshd:
    """A private sshd and the client options that reach it."""

    port: int
    key: Path
    known_hosts: Path
    process: subprocess.Popen[bytes]

    def command(self, remote: str) -> list[str]:
        """`ssh -t` to this server running `remote` (a shell command line)."""
        return [
            "ssh", "-t", "-p", str(self.port), "-i", str(self.key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            f"{getpass.getuser()}@127.0.0.1", remote,
        ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """sshd on a free port of 127.0.0.1, keys made for this test only, stopped by PID."""
    assert SSHD.is_file(), "openssh-server is installed by scripts/test.sh"
    folder = tmp_path_factory.mktemp("sshd")
    folder.chmod(0o700)
    for name in ("host_key", "user_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    (folder / "authorized_keys").write_text((folder / "user_key.pub").read_text())
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        "ClientAliveInterval 2\nClientAliveCountMax 2\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    process = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(config)],
        stderr=open(folder / "sshd.log", "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None, (folder / "sshd.log").read_text()
            time.sleep(0.1)
    yield Sshd(port, folder / "user_key", folder / "known_hosts", process)
    process.send_signal(signal.SIGTERM)
    process.wait(10)


@pytest.fixture(scope="module")
def live(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workspace = copy_workspace(demo_workspace, tmp_path_factory.mktemp("ssh") / "ws")
    (workspace / "runbooks").mkdir()
    (workspace / "runbooks" / "slow-shift.yaml").write_text(SLOW)
    running = start(workspace)
    yield running
    stop(running)


def remote_vigil(live: Live) -> str:
    """The far side's command: the console on the workspace (exec: it leads the session)."""
    vigil = ROOT / ".venv" / "bin" / "vigil"
    return f"cd {shlex.quote(str(ROOT))} && exec {vigil} --workspace {live.workspace}"


def vigil_pids(live: Live) -> list[int]:
    """Processes of the console on this workspace (the far side of the ssh session)."""
    found = subprocess.run(
        ["pgrep", "-f", f"^\\S*python\\S* \\S*/bin/vigil --workspace {live.workspace}"],
        capture_output=True,
        text=True,
    )
    return [int(pid) for pid in found.stdout.split()]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[TmuxSession]:
    tmux = TmuxSession(socket=f"vigil-ssh-{os.getpid()}-{tmp_path.name}")
    yield tmux
    tmux.close()


def audit(workspace: Path) -> list:
    backend = EmbeddedBackend(workspace)
    try:
        return list(backend.audit_log())
    finally:
        backend.close()


def test_a_rollback_over_ssh_by_keys(sshd: Sshd, live: Live, session: TmuxSession) -> None:
    if live.weights() != DEMO_SPLIT:
        live.set_weights(DEMO_SPLIT)
    opened = time.monotonic()
    session.start(sshd.command(remote_vigil(live)), {"TERM": "xterm-256color"}, (100, 30))
    session.wait_for(lambda s: "fraud-detector" in s and "R rollback" in s, 90, "the overview")
    keys = [["j"], ["j"], ["R"], ["Enter"], ["y"]]
    session.keys(*keys[0])
    session.keys(*keys[1])
    time.sleep(0.3)
    session.keys(*keys[2])
    session.wait_for(lambda s: "Enter to run" in s, 60, "the plan")
    session.keys(*keys[3])
    session.wait_for(lambda s: "[y/N]" in s, 30, "the confirmation")
    session.keys(*keys[4])
    screen = session.wait_for(lambda s: "live now" in s, 60, "the end of the run")
    took = time.monotonic() - opened
    assert "succeeded" in screen and "live matches what the run set" in screen, screen
    assert live.weights() == {"2": 100}, "the server's split"
    record = next(r for r in reversed(audit(live.workspace)) if r.step == "rollback")
    assert (record.user, record.host) == (getpass.getuser(), socket.gethostname())
    assert record.outcome == "ok"
    (run,) = [r for r in list_runs(live.workspace / "runbook_runs") if r.run_id == record.run_id]
    step_s = run.steps[0].duration_s
    assert step_s is not None and step_s < 60, "the immediate rollback tier"
    print(f"\nrollback over ssh: {len(keys)} keys, {took:.1f} s from opening the console, "
          f"rollback step {step_s:.3f} s")  # fmt: skip
    session.keys("q")
    deadline = time.monotonic() + 20
    while vigil_pids(live) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not vigil_pids(live)


def test_a_dropped_ssh_link_interrupts_the_run_and_leaves_nothing(
    sshd: Sshd, live: Live, session: TmuxSession
) -> None:
    live.set_weights(DEMO_SPLIT)
    session.start(sshd.command(remote_vigil(live)), {"TERM": "xterm-256color"}, (100, 30))
    session.wait_for(lambda s: "fraud-detector" in s, 90, "the overview")
    session.keys(":")
    time.sleep(0.3)
    session.keys("-l", f"run slow-shift model={MODEL}")
    session.keys("Enter")
    session.wait_for(lambda s: "Enter to run" in s, 60, "the plan")
    session.keys("Enter")
    session.wait_for(lambda s: "[y/N]" in s, 30, "the confirmation")
    session.keys("y")
    screen = session.wait_for(lambda s: "│  [hold] wait" in s, 60, "the run's wait")
    assert live.weights() == {"2": 80, "3": 20}, screen
    assert len(vigil_pids(live)) == 1, "one console on the far side"
    client = subprocess.run(
        ["pgrep", "-f", f"ssh -t -p {sshd.port}"], capture_output=True, text=True
    ).stdout.split()
    assert client, "the ssh client runs"
    dropped = time.monotonic()
    for pid in client:
        os.kill(int(pid), signal.SIGKILL)
    while vigil_pids(live) and time.monotonic() - dropped < 15:
        time.sleep(0.1)
    gone = time.monotonic() - dropped
    assert not vigil_pids(live), "the far vigil exited"
    assert gone < 10, f"the far vigil took {gone:.1f} s to exit"
    (run,) = [r for r in list_runs(live.workspace / "runbook_runs") if r.runbook == "slow-shift"]
    assert run.status == "interrupted", run.status
    assert [s.status for s in run.steps] == ["done", "interrupted", "pending"]
    assert live.weights() == {"2": 80, "3": 20}, "an interrupt runs no failure step"
    reverted = subprocess.run(
        [sys.executable, "-m", "console", "--workspace", str(live.workspace),
         "runbook", "revert", run.run_id, "--yes"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert reverted.returncode == 0, reverted.stderr
    assert live.weights() == DEMO_SPLIT
    print(f"\nthe far vigil exited {gone:.1f} s after the ssh client was killed")
