"""Run state files: listed oldest first, even for runs begun in the same second."""

from __future__ import annotations

from pathlib import Path

from runbooks.engine.state import RunState, list_runs, save


def state(run_id: str, runbook: str, created_at: str) -> RunState:
    """A finished run of `runbook` with the given id and creation time."""
    return RunState(
        run_id=run_id, runbook=runbook, source="bundled", text="", context="demo", params={},
        user="oncall", host="h", pid=1, status="succeeded", created_at=created_at,
    )  # fmt: skip


def test_runs_of_the_same_second_are_listed_in_the_order_they_began(tmp_path: Path) -> None:
    second = "2026-12-01T12:33:00"
    save(tmp_path, state("20261201T123300-rollback-aaaaaa", "rollback", f"{second}.100000+00:00"))
    save(tmp_path, state("20261201T123300-canary-bbbbbb", "canary", f"{second}.900000+00:00"))
    save(tmp_path, state("20261201T123259-zeta-cccccc", "zeta", f"{second[:-2]}59.5+00:00"))
    save(tmp_path, state("20261201T123301-alpha-dddddd", "alpha", ""))
    assert [run.runbook for run in list_runs(tmp_path)] == ["zeta", "rollback", "canary", "alpha"]
