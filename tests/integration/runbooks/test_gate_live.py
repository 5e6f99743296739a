"""The gate's fault cases against a real local_serving: killed, stopped, raced, anchored."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runbook_live import DEMO_SPLIT, MODEL, TOKEN, Live, copy_workspace, start, stop

from backends.embedded import EmbeddedBackend

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STEPS = """\
name: steps
description: a traffic change, a wait, then two more traffic changes
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: first
    type: set_weights
    weights: {"2": 95, "3": 5}
  - name: pause
    type: wait
    duration: 30s
  - name: second
    type: set_weights
    weights: {"2": 75, "3": 25}
  - name: third
    type: set_weights
    weights: {"2": 50, "3": 50}
"""


@pytest.fixture
def private(demo_workspace: Path, tmp_path: Path) -> Iterator[Live]:
    """A server of this test's own, on its own workspace copy (the test may kill it)."""
    running = start(copy_workspace(demo_workspace, tmp_path / "ws"))
    yield running
    if running.process.poll() is None:
        os.kill(running.process.pid, signal.SIGCONT)
    stop(running)


def stored(workspace: Path) -> dict[str, int]:
    """The split stored in the workspace database, versions with traffic only."""
    backend = EmbeddedBackend(workspace)
    try:
        return {v: w for v, w in backend.stored_traffic(MODEL).items() if w}
    finally:
        backend.close()


def wait_for_step(live: Live, runbook: str, index: int) -> dict:
    """The persisted run once its step `index` is running."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for path in (live.workspace / "runbook_runs").glob(f"*-{runbook}-*.json"):
            run = json.loads(path.read_text())
            if run["steps"][index]["status"] == "running":
                return run
        time.sleep(0.2)
    raise AssertionError(f"{runbook} never reached step {index + 1}")


def test_a_server_killed_mid_run_fails_every_later_change(private: Live, tmp_path: Path) -> None:
    private.set_weights({"2": 100})
    path = tmp_path / "steps.yaml"
    path.write_text(STEPS)
    process = private.spawn("runbook", "run", "--file", str(path), "-p", f"model={MODEL}")
    wait_for_step(private, "steps", 1)
    private.process.kill()
    private.process.wait(30)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 1, out
    assert "weights v2:100% → v2:95% v3:5%" in out, "the first change was live"
    assert "step second failed" in out and "no longer running" in out
    assert "ok: fraud-detector: weights v2:95% v3:5% → v2:75%" not in out
    assert stored(private.workspace) == {"2": 95, "3": 5}, "nothing went to the database"


def test_a_stopped_server_makes_a_rollback_fail_and_nothing_flips_later(private: Live) -> None:
    os.kill(private.process.pid, signal.SIGSTOP)
    try:
        done = private.vigil("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
        assert done.returncode == 1, done.stdout + done.stderr
        assert "does not answer its health check" in done.stdout
        assert "ok: fraud-detector" not in done.stdout
        assert stored(private.workspace) == DEMO_SPLIT
    finally:
        os.kill(private.process.pid, signal.SIGCONT)
    assert private.weights() == DEMO_SPLIT, "no request was left to apply after SIGCONT"


def test_a_run_while_another_changes_the_model_is_refused_and_audited(
    demo_split: Live, tmp_path: Path
) -> None:
    path = tmp_path / "steps.yaml"
    path.write_text(STEPS)
    first = demo_split.spawn("runbook", "run", "--file", str(path), "-p", f"model={MODEL}")
    try:
        wait_for_step(demo_split, "steps", 1)
        second = demo_split.vigil(
            "runbook", "run", "set-traffic", "-p", f"model={MODEL}", "-p", "weights=2=100",
            "--yes", "--json",
        )  # fmt: skip
        assert second.returncode == 1, second.stdout + second.stderr
        refused = json.loads(second.stdout)
        assert refused["status"] == "refused" and "is changing fraud-detector" in refused["reason"]
        assert demo_split.weights() == {"2": 95, "3": 5}
        audit = json.loads(demo_split.vigil("audit", "--json").stdout)["records"]
        theirs = [(r["step"], r["outcome"]) for r in audit if r["run_id"] == refused["run_id"]]
        assert len(theirs) == 1 and theirs[0][1].startswith("refused: run ")
    finally:
        first.kill()
        first.wait(30)


def test_admin_changes_carry_the_audit_head_and_a_deleted_tail_is_caught(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    entries = [
        json.loads(line)
        for line in (demo_split.workspace / "serving-admin.jsonl").read_text().splitlines()
    ]
    rollback = [e for e in entries if e["action"] == "rollback"][-1]
    seq, record_hash = rollback["audit_head"].split(":")
    with sqlite3.connect(demo_split.workspace / "vigil.db") as db:
        (held,) = db.execute(
            "SELECT record_hash FROM audit_log WHERE seq = ?", (int(seq),)
        ).fetchone()
    assert held == record_hash, "the head sent is the gate record written just before"
    verified = demo_split.vigil("audit", "--verify")
    assert verified.returncode == 0 and "serving-admin.jsonl" in verified.stdout
    with sqlite3.connect(demo_split.workspace / "vigil.db") as db:
        db.execute("DELETE FROM audit_log WHERE seq >= ?", (int(seq),))
    broken = demo_split.vigil("audit", "--verify")
    assert broken.returncode == 1
    assert "serving-admin.jsonl line" in broken.stdout and "records were deleted" in broken.stdout


def test_the_server_refuses_a_stale_generation(demo_split: Live) -> None:
    from backends.contracts import TrafficConflict
    from backends.kserve_v2 import KServeV2Serving

    client = KServeV2Serving(demo_split.url, token=TOKEN)
    try:
        seen = client.status(MODEL)
        assert seen.generation is not None
        client.set_weights(MODEL, {"2": 80, "3": 20})
        with pytest.raises(TrafficConflict) as caught:
            client.set_weights_if(MODEL, {"2": 100, "3": 0}, seen)
        assert caught.value.current is not None
        assert dict(caught.value.current.weights) == {"2": 80, "3": 20}
        assert demo_split.weights() == {"2": 80, "3": 20}
    finally:
        client.close()


WAIT_THEN_FAIL = """\
name: wait-then-fail
description: a wait, then a check that fails; no on_failure
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: pause
    type: wait
    duration: 8s
  - name: must-hold
    type: check
    conditions: [{name: psi, drift: psi, window: 6h, max: -1}]
"""


def test_a_read_only_run_never_writes_back_over_a_change_made_meanwhile(
    demo_split: Live, tmp_path: Path
) -> None:
    path = tmp_path / "wait-then-fail.yaml"
    path.write_text(WAIT_THEN_FAIL)
    process = demo_split.spawn(
        "--read-only", "runbook", "run", "--file", str(path), "-p", f"model={MODEL}", "--yes"
    )
    wait_for_step(demo_split, "wait-then-fail", 0)
    demo_split.set_weights({"2": 70, "3": 30})
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 1, out
    assert "step must-hold failed" in out and "restore-weights" not in out
    assert demo_split.weights() == {"2": 70, "3": 30}, "the other operator's split stands"


def test_set_traffic_runs_started_together_never_overlap_nor_lose_a_change(
    demo_split: Live,
) -> None:
    import subprocess
    import sys

    splits = {"a": ("2=60,3=40", {"2": 60, "3": 40}), "b": ("2=40,3=60", {"2": 40, "3": 60})}
    command = [sys.executable, "-m", "console", "--workspace", str(demo_split.workspace)]
    for _ in range(4):
        started = {
            key: subprocess.Popen(
                [
                    *command,
                    "runbook",
                    "run",
                    "set-traffic",
                    "-p",
                    f"model={MODEL}",
                    "-p",
                    f"weights={text}",
                    "--yes",
                    "--json",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for key, (text, _) in splits.items()
        }
        results = {key: json.loads(p.communicate(timeout=120)[0]) for key, p in started.items()}
        audit = json.loads(demo_split.vigil("audit", "--json").stdout)["records"]
        spans = {}
        for key, result in results.items():
            seqs = [r["seq"] for r in audit if r["run_id"] == result["run_id"]]
            if result["status"] == "refused":
                (only,) = [r for r in audit if r["run_id"] == result["run_id"]]
                assert only["step"] == "gate" and only["outcome"].startswith("refused: ")
                continue
            assert result["status"] == "succeeded", result
            spans[key] = (min(seqs), max(seqs))
        assert spans, "one run at least went through"
        ordered = sorted(spans, key=lambda key: spans[key][0])
        if len(ordered) == 2:
            assert spans[ordered[0]][1] < spans[ordered[1]][0], "the two runs overlapped"
        assert demo_split.weights() == splits[ordered[-1]][1], "the last change to land holds"
