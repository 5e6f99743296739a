"""`vigil --at TIME`: bad input is exit 2 with a clear message; a replay refuses every change."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backends.embedded import EmbeddedBackend
from console.services.clock import iso_minute
from tests.datasets.three_models import DATA_END
from tests.tui.workspace import build_workspace

VIGIL = str(Path(sys.executable).with_name("vigil"))
MODEL = "fraud-detector"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("replay-cli") / "ws")


def traffic_of(rows: list[dict[str, Any]]) -> dict[str, int]:
    """fraud-detector's split in `vigil models --json`."""
    row = next(r for r in rows if r["name"] == MODEL)
    return {str(k): int(v) for k, v in row["traffic"].items()}


def vigil(workspace: Path, *words: str) -> subprocess.CompletedProcess[str]:
    """Run the real binary on the workspace."""
    command = [VIGIL, "--workspace", str(workspace), *words]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("--at=yesterday", "--at: 'yesterday': not an instant"),
        ("--at=2999-01-01T00:00Z", "--at: 2999-01-01T00:00Z is in the future"),
        ("--at=", "--at: give an instant"),
    ],
)
def test_a_bad_instant_is_exit_2_with_the_reason(workspace: Path, at: str, says: str) -> None:
    done = vigil(workspace, at, "models")
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_relative_instant_is_accepted(workspace: Path) -> None:
    done = vigil(workspace, "--at=-2h", "models")
    assert done.returncode == 0, done.stderr
    assert MODEL in done.stdout


def test_at_forces_read_only_so_a_rollback_is_refused_and_nothing_changes(
    workspace: Path,
) -> None:
    backend = EmbeddedBackend(workspace)
    try:
        before = dict(backend.status(MODEL).weights)
        events_before = len(backend.timeline_events(MODEL, DATA_END.replace(year=2000), DATA_END))
    finally:
        backend.close()
    rollback = ("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
    done = vigil(workspace, "--at", iso_minute(DATA_END), *rollback)
    assert done.returncode == 1
    reason = f"replay is read-only (as of {iso_minute(DATA_END)})"
    assert reason in done.stderr and "nothing was changed" in done.stderr
    assert "context " not in done.stderr  # the replay says why, not the context's flag
    records = json.loads(vigil(workspace, "audit", "--json").stdout)["records"]
    refusal = [r for r in records if str(r["outcome"]).startswith("refused")]
    assert len(refusal) == 1 and reason in refusal[0]["outcome"], records
    backend = EmbeddedBackend(workspace)
    try:
        assert dict(backend.status(MODEL).weights) == before != {"3": 100}
        after = backend.timeline_events(MODEL, DATA_END.replace(year=2000), DATA_END)
        assert len(after) == events_before
    finally:
        backend.close()
    live = vigil(workspace, *rollback)  # the same command without --at does change the split
    assert live.returncode == 0, live.stderr
    backend = EmbeddedBackend(workspace)
    try:
        assert dict(backend.status(MODEL).weights) == {"3": 100}
    finally:
        backend.close()


def test_a_command_reads_as_of_the_instant(tmp_path: Path) -> None:
    """The split a command prints at --at is the recorded one then, not the stored one now."""
    workspace = build_workspace(tmp_path / "ws")
    backend = EmbeddedBackend(workspace)
    try:
        backend.store_traffic(MODEL, {"3": 50, "4": 50}, "test", at=DATA_END)
    finally:
        backend.close()
    now = json.loads(vigil(workspace, "models", "--json").stdout)
    then = json.loads(vigil(workspace, f"--at={iso_minute(DATA_END)}", "models", "--json").stdout)
    earlier = vigil(workspace, "--at", iso_minute(DATA_END - timedelta(minutes=5)), "models")
    assert traffic_of(now) == {"3": 50, "4": 50} == traffic_of(then)
    assert "v3:90% v4:10%" in earlier.stdout


def test_the_audit_as_of_an_earlier_instant_lists_none_and_still_verifies(tmp_path: Path) -> None:
    """Records after the instant are not shown, and their recorded heads are no false alarm."""
    workspace = build_workspace(tmp_path / "ws")
    done = vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
    assert done.returncode == 0, done.stderr
    assert vigil(workspace, "audit").stdout.strip()
    at = f"--at={iso_minute(DATA_END)}"
    assert vigil(workspace, at, "audit").stdout.strip() == ""
    verified = vigil(workspace, at, "audit", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit chain intact" in verified.stdout
