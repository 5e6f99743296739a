"""retrain-on-drift end to end on a live server: triggers fire, a local Torch job retrains,
the canary rolls the new version out; and a retraining job can be cancelled."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from runbook_live import MODEL, Live

from backends.local_retrain import LocalRetrainTrigger

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_retrain_on_drift_retrains_and_canaries_the_new_version(demo_split: Live) -> None:
    done = demo_split.vigil(
        "runbook", "run", "retrain-on-drift", "-p", f"model={MODEL}",
        "-p", "psi_threshold=0", "-p", "epochs=1", "-p", "measurements=1",
        "-p", "interval=0s", "-p", "inconclusive_limit=1", "-p", "max_psi=100",
        "--yes", timeout=600,
    )  # fmt: skip
    assert "feature_drift_psi" in done.stdout and ": fires" in done.stdout
    assert "registered v4 as challenger" in done.stdout
    # Nobody sends v4 traffic here, so each analysis has no data: not "good", a pause
    # that a human accepts with `resume` (three traffic steps, three pauses).
    run_id = json.loads(demo_split.vigil("runbook", "runs", "--json").stdout)[-1]["run_id"]
    for _ in range(3):
        assert done.returncode == 1 and "0/1 measurement(s) good, 1 inconclusive" in done.stderr
        done = demo_split.vigil("runbook", "resume", run_id, "--yes", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert demo_split.weights() == {"4": 100}
    models = json.loads(demo_split.vigil("models", "--json").stdout)
    fraud = next(m for m in models if m["name"] == MODEL)
    champion = [v["version"] for v in fraud["versions"] if "champion" in v["aliases"]]
    assert champion == ["4"]
    jobs = list((demo_split.workspace / "retrain_jobs").glob("*.json"))
    assert [json.loads(p.read_text())["status"] for p in jobs] == ["succeeded"]


def test_a_retraining_job_can_be_cancelled(live: Live) -> None:
    trigger = LocalRetrainTrigger(str(live.workspace))
    job = trigger.start(MODEL, "cancel test", {"epochs": 50})
    deadline = time.monotonic() + 60
    while trigger.job(job.job_id).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    cancelled = trigger.cancel(job.job_id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    pid = json.loads((live.workspace / "retrain_jobs" / f"{job.job_id}.json").read_text())["pid"]
    deadline = time.monotonic() + 15
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gone(pid), "the job process was stopped"
    after = trigger.job(job.job_id)
    assert after.status == "cancelled" and after.new_version is None


def gone(pid: int) -> bool:
    """Whether the job process has exited (reaping it when it is our child)."""
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not Path(f"/proc/{pid}").exists()
    return finished == pid
