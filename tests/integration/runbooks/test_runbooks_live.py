"""Every bundled runbook against a live local_serving on a copy of the demo workspace."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from runbook_live import DEMO_SPLIT, MODEL, Live

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def runs(live: Live) -> list[dict]:
    """`vigil runbook runs --json`."""
    done = live.vigil("runbook", "runs", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_rollback_moves_all_traffic_to_the_champion_and_records_its_time(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert demo_split.weights() == {"2": 100}
    assert "tier immediate: target < 60 s: met" in done.stdout
    run = runs(demo_split)[-1]
    assert run["runbook"] == "rollback" and run["status"] == "succeeded"
    message = run["steps"][0]["message"]
    assert "rolled back v2:90% v3:10% → v2:100%" in message


def test_canary_with_a_failing_threshold_reverts_and_says_why(demo_split: Live) -> None:
    done = demo_split.vigil(
        "runbook", "run", "canary", "-p", f"model={MODEL}", "-p", "max_psi=-1",
        "-p", "window=6h", "-p", "measurements=1", "--yes",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "step analysis-5 failed: analysis failed" in done.stderr
    assert "psi" in done.stderr and "vs max -1: fail" in done.stderr
    assert "v3 is already loaded (ready); nothing to do" in done.stdout
    assert "v3 already takes 10% (this step gives it 5%)" in done.stdout, "no step back to 5 %"
    assert "this run did not change the split; nothing to restore" in done.stdout
    assert demo_split.weights() == DEMO_SPLIT
    assert runs(demo_split)[-1]["status"] == "failed"


def test_canary_that_moved_traffic_puts_it_back_on_failure(demo_split: Live) -> None:
    demo_split.set_weights({"2": 100})
    done = demo_split.vigil(
        "runbook", "run", "canary", "-p", f"model={MODEL}", "-p", "max_psi=-1",
        "-p", "window=6h", "-p", "measurements=1", "--yes",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "weights v2:100% → v2:95% v3:5%" in done.stdout, "the canary did move traffic"
    assert "v2:95% v3:5% → v2:100% (as before the run)" in done.stdout
    assert demo_split.weights() == {"2": 100}, "on_failure put the live weights back"


def test_read_only_context_changes_nothing(demo_split: Live) -> None:
    done = demo_split.vigil(
        "--read-only", "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes"
    )
    assert done.returncode == 1
    assert "read-only" in done.stderr and "nothing was changed" in done.stderr
    assert demo_split.weights() == DEMO_SPLIT


def test_missing_yes_without_a_terminal_changes_nothing(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "run", "set-traffic", "-p", f"model={MODEL}",
                            "-p", "weights=2=100")  # fmt: skip
    assert done.returncode == 1
    assert "pass --yes to confirm" in done.stderr
    assert demo_split.weights() == DEMO_SPLIT


def test_plan_shows_live_before_and_after_and_changes_nothing(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "plan", "promote", "-p", f"model={MODEL}")
    assert done.returncode == 0, done.stderr
    assert "alias champion 2 → 3; weights v2:90% v3:10% → v3:100%" in done.stdout
    assert demo_split.weights() == DEMO_SPLIT


def test_set_traffic_fire_drill_and_promote(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "run", "set-traffic", "-p", f"model={MODEL}",
                            "-p", "weights=2=60,3=40", "--yes")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert demo_split.weights() == {"2": 60, "3": 40}
    drill = demo_split.vigil("runbook", "run", "fire-drill", "-p", f"model={MODEL}", "--yes")
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "fire drill on fraud-detector: rollback to v2 took" in drill.stdout
    assert demo_split.weights() == {"2": 60, "3": 40}, "rolled forward to the split before"
    promote = demo_split.vigil("runbook", "run", "promote", "-p", f"model={MODEL}",
                               "-p", "version=3", "--yes")  # fmt: skip
    assert promote.returncode == 0, promote.stdout + promote.stderr
    assert demo_split.weights() == {"3": 100}
    models = json.loads(demo_split.vigil("models", "--json").stdout)
    fraud = next(m for m in models if m["name"] == MODEL)
    champion = [v["version"] for v in fraud["versions"] if "champion" in v["aliases"]]
    assert champion == ["3"]
    run_id = runs(demo_split)[-1]["run_id"]
    revert = demo_split.vigil("runbook", "revert", run_id, "--yes")
    assert revert.returncode == 0, revert.stdout + revert.stderr
    assert demo_split.weights() == {"2": 60, "3": 40}


KILLABLE = """\
name: killable
description: two traffic changes with a long wait between them
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: first
    type: set_weights
    weights: {"2": 50, "3": 50}
  - name: pause
    type: wait
    duration: 20s
  - name: second
    type: set_weights
    weights: {"2": 100}
"""


def test_a_run_killed_between_steps_resumes_and_completes(demo_split: Live, tmp_path: Path) -> None:
    path = tmp_path / "killable.yaml"
    path.write_text(KILLABLE)
    process = demo_split.spawn("runbook", "run", "--file", str(path), "-p", f"model={MODEL}")
    state_dir = demo_split.workspace / "runbook_runs"
    deadline = time.monotonic() + 60
    run: dict = {}
    while time.monotonic() < deadline:
        found = [json.loads(p.read_text()) for p in state_dir.glob("*-killable-*.json")]
        if found and found[0]["steps"][1]["status"] == "running":
            run = found[0]
            break
        time.sleep(0.2)
    assert run, "the run never reached its wait step"
    process.kill()
    process.wait(10)
    assert demo_split.weights() == {"2": 50, "3": 50}
    listed = next(r for r in runs(demo_split) if r["run_id"] == run["run_id"])
    assert listed["status"] == "running" and listed["steps"][0]["status"] == "done"
    resumed = demo_split.vigil("runbook", "resume", run["run_id"], timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming" in resumed.stdout and "step 2/3" in resumed.stdout
    assert demo_split.weights() == {"2": 100}
    final = next(r for r in runs(demo_split) if r["run_id"] == run["run_id"])
    assert final["status"] == "succeeded"


def test_the_audit_chain_verifies_and_a_tampered_record_is_detected(demo_split: Live) -> None:
    done = demo_split.vigil("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes")
    assert done.returncode == 0
    verified = demo_split.vigil("audit", "--verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    document = json.loads(verified.stdout)
    assert document["verified"] is True
    run_id = runs(demo_split)[-1]["run_id"]
    records = [r for r in document["records"] if r["run_id"] == run_id]
    assert [r["step"] for r in records] == ["gate", "rollback", "note", "end"]
    record = records[1]
    assert {v: w for v, w in record["after"]["weights"].items() if w} == {"2": 100}
    assert {v: w for v, w in record["before"]["weights"].items() if w} == DEMO_SPLIT
    assert record["user"] and record["host"] and record["context"].startswith("workspace:")
    database = demo_split.workspace / "vigil.db"
    query = "SELECT after_json FROM audit_log WHERE seq = ?"
    with sqlite3.connect(database) as db:
        (original,) = db.execute(query, (record["seq"],)).fetchone()
        db.execute("UPDATE audit_log SET after_json = ? WHERE seq = ?", ("{}", record["seq"]))
    broken = demo_split.vigil("audit", "--verify")
    assert broken.returncode == 1
    assert f"seq {record['seq']}: record_hash does not match its contents" in broken.stdout
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_log SET after_json = ? WHERE seq = ?", (original, record["seq"]))
    assert demo_split.vigil("audit", "--verify").returncode == 0
