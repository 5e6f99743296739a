"""`vigil --at TIME`: bad input is exit 2 with a clear message; a replay refuses every change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    assert "is read-only" in done.stderr and "nothing was changed" in done.stderr
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
