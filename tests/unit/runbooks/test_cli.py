"""`vigil runbook` and `vigil audit` on an embedded workspace (stored traffic, no server)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from backends.embedded import EmbeddedBackend
from console.cli import main
from tests.unit.runbooks.workspace import MODEL, make_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh workspace: v1 champion at 100 %, v2 challenger."""
    return make_workspace(tmp_path / "ws")


def traffic(workspace: Path) -> dict[str, int]:
    """The stored split, versions that take traffic only."""
    backend = EmbeddedBackend(workspace)
    try:
        return {v: w for v, w in backend.stored_traffic(MODEL).items() if w}
    finally:
        backend.close()


def vigil(workspace: Path, *args: str) -> int:
    """Run the CLI in-process on the workspace."""
    return main(["--workspace", str(workspace), *args])


def test_plan_shows_the_change_and_changes_nothing(workspace: Path, capsys) -> None:
    code = vigil(
        workspace,
        "runbook",
        "plan",
        "set-traffic",
        "-p",
        f"model={MODEL}",
        "-p",
        "weights=1=90,2=10",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "fraud-detector: weights v1:100% → v1:90% v2:10%" in out
    assert traffic(workspace) == {"1": 100}


def test_run_without_yes_and_without_terminal_is_refused(workspace: Path, capsys) -> None:
    code = vigil(
        workspace,
        "runbook",
        "run",
        "set-traffic",
        "-p",
        f"model={MODEL}",
        "-p",
        "weights=1=90,2=10",
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "needs confirmation" in err and "--yes" in err and "nothing was changed" in err
    assert traffic(workspace) == {"1": 100}


def test_run_with_yes_changes_traffic_and_is_audited(workspace: Path, capsys) -> None:
    args = ("runbook", "run", "set-traffic", "-p", f"model={MODEL}", "-p", "weights=1=90,2=10")
    assert vigil(workspace, *args, "--yes") == 0
    assert traffic(workspace) == {"1": 90, "2": 10}
    capsys.readouterr()
    assert vigil(workspace, "runbook", "runs", "--json") == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert run["runbook"] == "set-traffic" and run["status"] == "succeeded"
    assert vigil(workspace, "audit", "--json", "--verify") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verified"] is True
    steps = [(r["step"], r["outcome"]) for r in document["records"]]
    assert steps == [
        ("gate", "allowed"),
        ("set", "stored, not live"),
        ("note", "ok"),
        ("end", "succeeded"),
    ]
    assert document["records"][1]["after"] == {"weights": {"1": 90, "2": 10}}


def test_read_only_refuses(workspace: Path, capsys) -> None:
    code = vigil(
        workspace, "--read-only", "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes"
    )
    assert code == 1
    assert "read-only" in capsys.readouterr().err
    assert traffic(workspace) == {"1": 100}


def test_revert_puts_the_split_back(workspace: Path, capsys) -> None:
    args = ("runbook", "run", "set-traffic", "-p", f"model={MODEL}", "-p", "weights=2=100")
    assert vigil(workspace, *args, "--yes") == 0
    run_id = next(p.stem for p in (workspace / "runbook_runs").glob("*.json"))
    assert traffic(workspace) == {"2": 100}
    assert vigil(workspace, "runbook", "revert", run_id, "--yes") == 0
    assert traffic(workspace) == {"1": 100}


def test_tampered_audit_record_is_detected(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes") == 0
    assert vigil(workspace, "audit", "--verify") == 0
    assert "audit chain intact" in capsys.readouterr().out
    with sqlite3.connect(workspace / "vigil.db") as db:
        db.execute("UPDATE audit_log SET outcome = 'refused' WHERE seq = 2")
    assert vigil(workspace, "audit", "--verify") == 1
    out = capsys.readouterr().out
    assert "audit chain BROKEN" in out and "seq 2: record_hash does not match" in out


def test_bad_usage_exits_2(workspace: Path, tmp_path: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollbak", "-p", f"model={MODEL}") == 2
    assert "did you mean 'rollback'" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndescription: d\nrisk: low\nsteps:\n  - type: wait\n    duratoin: 1s\n"
    )
    assert vigil(workspace, "runbook", "run", "--file", str(bad)) == 2
    assert f"{bad}:6: steps.0.duratoin: unknown key" in capsys.readouterr().err
    assert vigil(workspace, "runbook", "plan", "rollback") == 2
    assert "needs -p model=" in capsys.readouterr().err
    assert vigil(workspace, "runbook", "run", "rollback", "-p", "model") == 2
    assert vigil(workspace, "runbook", "resume", "no-such-run") == 2
    args = ("runbook", "run", "rollback", "-p", f"model={MODEL}", "-p", "tier=bogus", "--yes")
    assert vigil(workspace, *args) == 2
    assert "tier: 'bogus' is not one of immediate, rapid, delayed" in capsys.readouterr().err
    assert traffic(workspace) == {"1": 100}


def test_list_and_show(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "list") == 0
    out = capsys.readouterr().out
    assert "canary" in out and "fire-drill" in out
    assert vigil(workspace, "runbook", "show", "canary") == 0
    out = capsys.readouterr().out
    assert "risk: high (confirmation: typing the model name)" in out
    assert "max_error_rate" in out and "analysis-50" in out


MINE = """\
name: {name}
description: my own {name}
risk: low
parameters:
  model: {{type: string, required: true}}
steps:
  - name: say
    type: annotate
    kind: note
    message: hello
"""


def test_list_shows_the_users_and_the_contexts_runbooks_with_their_source(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from console.config import embedded_context
    from console.services.runbook_catalog import catalog

    user = tmp_path / "config" / "vigil" / "runbooks"
    user.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (user / "mine.yaml").write_text(MINE.format(name="mine"))
    (user / "broken.yaml").write_text("name: broken\n")
    (workspace / "runbooks").mkdir()
    (workspace / "runbooks" / "team.yaml").write_text(MINE.format(name="team"))
    assert vigil(workspace, "runbook", "list", "--json") == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["mine"]["source"] == "user" and rows["mine"]["risk"] == "low"
    assert rows["team"]["source"] == "context"
    assert rows["rollback"]["source"] == "bundled"
    assert rows["broken"]["risk"] is None and "description" in rows["broken"]["error"]
    screen = catalog(embedded_context(workspace, name="test"))  # what the runbooks screen reads
    assert [(e.name, e.origin) for e in screen] == [(r["name"], r["source"]) for r in rows.values()]
    assert vigil(workspace, "runbook", "list") == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["mine"].split()[1:3] == ["low", "user"]
    assert str(user / "mine.yaml") in lines["mine"]
    assert lines["team"].split()[2] == "context"
    assert "not loaded:" in lines["broken"]


HANGUP = """\
name: hangup
description: a traffic change, a long wait, another traffic change
risk: low
parameters:
  model: {type: string, required: true}
steps:
  - name: first
    type: set_weights
    weights: {"1": 50, "2": 50}
  - name: pause
    type: wait
    duration: 10s
  - name: second
    type: set_weights
    weights: {"2": 100}
"""


def test_a_lost_session_leaves_an_interrupted_run_that_resumes(
    workspace: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "hangup.yaml"
    path.write_text(HANGUP)
    command = [sys.executable, "-m", "console", "--workspace", str(workspace)]
    process = subprocess.Popen(
        [*command, "runbook", "run", "--file", str(path), "-p", f"model={MODEL}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state_dir = workspace / "runbook_runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [json.loads(p.read_text()) for p in state_dir.glob("*-hangup-*.json")]
        if found and found[0]["steps"][1]["status"] == "running":
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGHUP)
    assert process.wait(30) == 130
    (run,) = [json.loads(p.read_text()) for p in state_dir.glob("*-hangup-*.json")]
    assert run["status"] == "interrupted" and run["reason"] == "interrupted during step pause"
    assert traffic(workspace) == {"1": 50, "2": 50}
    assert main(["--workspace", str(workspace), "runbook", "resume", run["run_id"]]) == 0
    assert traffic(workspace) == {"2": 100}


def test_run_json_prints_one_document_with_the_steps(workspace: Path, capsys) -> None:
    args = ("runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes", "--json")
    assert vigil(workspace, *args) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["status"] == "succeeded" and document["exit_code"] == 0
    assert [s["name"] for s in document["steps"]] == ["rollback", "note"]
    assert document["steps"][0]["outputs"]["tier"] == "immediate"
    assert "[rollback] rollback" in captured.err


def _delete_audit(workspace: Path, where: str) -> None:
    """Delete audit rows directly in the database, as someone with write access could."""
    with sqlite3.connect(workspace / "vigil.db") as db:
        db.execute(f"DELETE FROM audit_log WHERE {where}")


def test_verify_says_what_it_checked(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes") == 0
    capsys.readouterr()
    assert vigil(workspace, "audit", "--verify") == 0
    out = capsys.readouterr().out
    assert "audit chain intact:" in out
    assert "4 record(s), seq 1..4: every hash and link" in out
    assert "against 1 recorded head(s): 1 run state file(s)" in out


def test_verify_detects_a_deleted_tail(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes") == 0
    _delete_audit(workspace, "seq > 2")
    capsys.readouterr()
    assert vigil(workspace, "audit", "--verify") == 1
    out = capsys.readouterr().out
    assert "audit chain BROKEN" in out
    assert "recorded head seq 4, but the log ends at seq 2" in out


def test_verify_detects_an_emptied_log(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes") == 0
    _delete_audit(workspace, "1 = 1")
    capsys.readouterr()
    assert vigil(workspace, "audit", "--verify", "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["verified"] is False
    assert any("the log ends at seq 0" in p for p in document["problems"])


def test_a_change_without_a_server_says_nothing_live_changed(workspace: Path, capsys) -> None:
    assert vigil(workspace, "runbook", "run", "rollback", "-p", f"model={MODEL}", "--yes") == 0
    out = capsys.readouterr().out
    assert "stored (not live): " in out and "nothing live changed" in out
    assert "ok: fraud-detector: rolled back" not in out
    assert "not live, so no tier is met" in out and "tier (< 60 s) met" not in out
    assert (
        out.rstrip()
        .splitlines()[-1]
        .endswith("nothing live changed: the split was only stored for the next server start")
    )


def test_plan_that_cannot_plan_exits_1(workspace: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "elsewhere.yaml"
    path.write_text(
        "name: elsewhere\ndescription: d\nrisk: low\nsteps:\n"
        "  - type: set_weights\n    model: nosuch\n    weights: {'1': 100}\n"
    )
    assert vigil(workspace, "runbook", "plan", "--file", str(path)) == 1
    captured = capsys.readouterr()
    assert "cannot plan" in captured.out and "cannot plan 1 step(s)" in captured.err
