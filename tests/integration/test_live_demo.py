"""The live demo end to end: `vigil demo --no-tui --serve`, the tablet drop, a rollback, recovery.

The test runs the real `vigil` binary: the demo builds its workspace, starts
local_serving and the traffic driver as its children, and the test watches the
live traffic through the headless twins of the slices and latency screens.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest

from backends.embedded import EmbeddedBackend
from backends.kserve_v2 import read_token
from backends.processes import process_alive
from console.demo.build import build
from console.demo.live.continuity import HEARTBEAT, MAX_LEAD, live_spec, next_minute
from console.demo.spec import SMALL
from console.services.metrics_window import ErrorRate, error_rate, latest_point

pytestmark = [pytest.mark.slow, pytest.mark.integration]
VIGIL = str(Path(sys.executable).parent / "vigil")
LIVE_LINE = re.compile(r"live: local_serving on (\S+) \(pid (\d+)\), traffic driver pid (\d+)")
MIN_TABLET_ROWS = 60
Slices = dict[str, tuple[int, float]]
Run = subprocess.CompletedProcess[str]


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    """XDG directories under tmp_path, so the audit log and config are the test's own."""
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env.pop("VIGIL_ADMIN_TOKEN", None)
    return env


def _vigil(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one headless vigil command."""
    return subprocess.run(
        [VIGIL, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_device(
    env: dict[str, str], workspace: Path, start: datetime
) -> dict[str, tuple[int, float]]:
    """Accuracy per device_type on the labelled requests logged since `start`."""
    done = _vigil(
        env,
        "--workspace",
        str(workspace),
        "slices",
        "--model",
        "fraud-detector",
        "--by",
        "device_type",
        "--start",
        _iso(start),
        "--end",
        _iso(datetime.now(UTC) + timedelta(minutes=1)),
        "--min-support",
        "1",
        "--json",
    )
    if done.returncode != 0:
        return {}
    slices = json.loads(done.stdout)["slices"]
    return {s["predicates"][0]["value"]: (s["support"], s["metric"]) for s in slices}


def _wait_for_tablets(
    env: dict[str, str], workspace: Path, start: datetime, timeout_s: float
) -> Slices:
    """Poll until MIN_TABLET_ROWS labelled tablet requests since `start` are in the log."""
    deadline = time.monotonic() + timeout_s
    found: Slices = {}
    while time.monotonic() < deadline:
        found = _by_device(env, workspace, start)
        if found.get("tablet", (0, 0.0))[0] >= MIN_TABLET_ROWS:
            return found
        time.sleep(5)
    raise AssertionError(f"too few labelled tablet requests since {start}: {found}")


def _latency(env: dict[str, str], workspace: Path, start: datetime) -> dict[str, dict]:
    """The latency budget table of fraud-detector since `start`, by stage."""
    done = _vigil(
        env,
        "--workspace",
        str(workspace),
        "latency",
        "--model",
        "fraud-detector",
        "--start",
        _iso(start),
        "--end",
        _iso(datetime.now(UTC) + timedelta(minutes=1)),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return {s["stage"]: s for s in json.loads(done.stdout)["stages"]}


def _overview_error_rate(workspace: Path, since: datetime) -> ErrorRate | None:
    """fraud-detector's error rate as the overview computes it, over the whole minutes from `since`.

    The minutes are the closed ones the server has rolled up; None before the first.
    """
    backend = EmbeddedBackend(workspace=str(workspace))
    try:
        end = latest_point(backend, "fraud-detector", datetime.now(UTC))
        first = next_minute(since)
        if end is None or end < first:
            return None
        minutes = int((end - first).total_seconds() // 60) + 1
        return error_rate(backend, "fraud-detector", end, minutes)
    finally:
        backend.close()


def _wait_for_error_rate(
    workspace: Path, since: datetime, min_requests: int, timeout_s: float
) -> ErrorRate:
    """Poll until the server's rollups since `since` hold `min_requests` fraud requests."""
    deadline = time.monotonic() + timeout_s
    found: ErrorRate | None = None
    while time.monotonic() < deadline:
        found = _overview_error_rate(workspace, since)
        if found is not None and found.requests >= min_requests:
            return found
        time.sleep(5)
    raise AssertionError(f"too few rolled-up fraud requests since {since}: {found}")


def _continuity_gap_s(workspace: Path, history_end: datetime) -> float:
    """Seconds from the history's end to the first live request; no live request precedes it.

    Each side is read on its own: a window across the seam keeps only a sample of the
    live rows (the history's rate), which would hide the first live request.
    """
    backend = EmbeddedBackend(workspace=str(workspace))
    try:
        around = pd.concat(
            [
                backend.window("fraud-detector", start, end, columns=["ts", "request_id"])
                for start, end in (
                    (history_end - timedelta(minutes=2), history_end),
                    (history_end, history_end + timedelta(minutes=10)),
                )
            ],
            ignore_index=True,
        )
    finally:
        backend.close()
    live = around["request_id"].str.startswith("live-")
    history_last = around.loc[~live, "ts"].max()
    first_live = around.loc[live, "ts"].min()
    assert history_last < history_end <= first_live, (history_last, history_end, first_live)
    assert history_end - history_last < timedelta(minutes=1)
    gap = (first_live - history_end).total_seconds()
    assert gap < 90, f"the live traffic began {gap:.0f} s after the history's end"
    return float(gap)


def _logged_share_across_the_seam(workspace: Path, history_end: datetime) -> tuple[float, float]:
    """Rows per request in one window over the history's last 10 minutes and the live minutes.

    Requests are the per-minute `requests_total` (the history's, then the server's
    rollups of closed minutes); rows are what that one window returns on each side.
    """
    backend = EmbeddedBackend(workspace=str(workspace))
    try:
        last = latest_point(backend, "fraud-detector", datetime.now(UTC))
        assert last is not None and last >= history_end, last
        start, stop = history_end - timedelta(minutes=10), last + timedelta(minutes=1)
        frame = backend.window("fraud-detector", start, stop, columns=["ts", "request_id"])
        series = backend.query_range("requests_total", {"model": "fraud-detector"}, start, stop)
    finally:
        backend.close()
    live = frame["request_id"].str.startswith("live-")
    seam = history_end.timestamp()
    points = [
        (float(ts), float(value))
        for one in series
        for ts, value in zip(one.timestamps, one.values, strict=True)
    ]
    history_requests = sum(value for ts, value in points if ts < seam)
    live_requests = sum(value for ts, value in points if ts >= seam)
    assert live_requests >= 3000, f"too few live requests for a share: {live_requests}"
    return float((~live).sum() / history_requests), float(live.sum() / live_requests)


def _split(url: str, workspace: Path) -> dict[str, int]:
    """fraud-detector's live split, from the server's admin API."""
    info = json.loads((workspace / "serving.json").read_text())
    token = read_token(info["token_file"])
    response = httpx.get(
        f"{url}/admin/models/fraud-detector",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return {k: int(v) for k, v in response.json()["weights"].items()}


def test_live_demo_breaks_tablets_and_a_rollback_fixes_them(tmp_path: Path) -> None:
    env = _isolated_env(tmp_path)
    workspace = tmp_path / "demo"
    out, err = tmp_path / "demo.out", tmp_path / "demo.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        demo = subprocess.Popen(
            [VIGIL, "demo", "--workspace", str(workspace), "--no-tui", "--serve"],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
    server_pid = driver_pid = 0
    try:
        deadline = time.monotonic() + 300
        while not (match := LIVE_LINE.search(out.read_text())):
            assert demo.poll() is None, err.read_text()[-2000:]
            assert time.monotonic() < deadline, "the live demo did not start"
            time.sleep(0.5)
        url, server_pid, driver_pid = match.group(1), int(match.group(2)), int(match.group(3))
        history_end = datetime.fromisoformat(
            json.loads((workspace / ".demo-complete").read_text())["spec"]["end"]
        )
        started_at = datetime.now(UTC)
        live_at = max(started_at, history_end)  # the windows below hold live rows only

        # 1. The canary's incident is live: tablets are wrong, the other devices are not.
        before = _wait_for_tablets(env, workspace, live_at, timeout_s=240)
        seen_drop_s = (datetime.now(UTC) - started_at).total_seconds()
        gap_s = _continuity_gap_s(workspace, history_end)
        tablet = before["tablet"][1]
        others = [acc for device, (n, acc) in before.items() if device != "tablet" and n >= 30]
        assert tablet < 0.85 and others and min(others) > 0.88, before
        stages = _latency(env, workspace, live_at)
        assert set(stages) == {
            "network",
            "feature_fetch",
            "parse",
            "inference",
            "postprocess",
            "serialize",
        }
        assert stages["feature_fetch"]["over_budget"], stages["feature_fetch"]
        # Under memory pressure ~2 % of feature fetches come back incomplete (the history's
        # 0.001 + 0.02 p**3); the server refuses those requests and its rollups count them.
        failing = _wait_for_error_rate(workspace, history_end, 1500, timeout_s=240)
        assert failing.rate is not None and failing.rate > 0.01, failing

        # 2. The rollback runbook takes v3 out of the live split.
        assert _split(url, workspace) == {"2": 90, "3": 10}
        rolled = _vigil(
            env, "--workspace", str(workspace), "runbook", "run", "rollback",
            "-p", "model=fraud-detector", "--yes",
        )  # fmt: skip
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        rolled_at = datetime.now(UTC)
        assert _split(url, workspace) == {"2": 100, "3": 0}

        # 3. Tablet accuracy recovers on the requests after the rollback, and feature_fetch too.
        after = _wait_for_tablets(env, workspace, rolled_at + timedelta(seconds=2), 300)
        recovered_s = (datetime.now(UTC) - rolled_at).total_seconds()
        assert after["tablet"][1] > 0.85, after
        time.sleep(max(0.0, 75 - recovered_s))
        calm = _latency(env, workspace, rolled_at + timedelta(seconds=60))
        assert not calm["feature_fetch"]["over_budget"], calm["feature_fetch"]
        # The pressure relaxes (tau 20 s): from 30 s on the error rate is back near 0.1 %.
        settled = _wait_for_error_rate(workspace, rolled_at + timedelta(seconds=30), 600, 240)
        assert settled.rate is not None and settled.rate < 0.005, settled
        # The history logged ~5.5 % of fraud requests and the server logs all of them; a
        # window across the seam weighs both alike (live rows kept at the history's rate).
        history_share, live_share = _logged_share_across_the_seam(workspace, history_end)
        assert 0.6 < live_share / history_share < 1.6, (history_share, live_share)
        print(
            f"history → live gap {gap_s:.1f} s; drop seen {seen_drop_s:.0f} s after the server "
            f"started; recovery {recovered_s:.0f} s after the rollback; rows per request in a "
            f"window across the seam {history_share:.2%} history, {live_share:.2%} live; "
            f"error rate {failing.rate:.2%} of {failing.requests:.0f} before, "
            f"{settled.rate:.2%} of {settled.requests:.0f} after"
        )

        # 4. Ctrl-C stops both children cleanly.
        demo.send_signal(signal.SIGINT)
        assert demo.wait(60) == 0, err.read_text()[-2000:]
        assert not process_alive(server_pid) and not process_alive(driver_pid)
        assert not (workspace / "serving.json").exists()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in (driver_pid, server_pid):
            if pid and process_alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def small_live_workspace(tmp_path: Path) -> Path:
    """A small demo whose history ends at this minute, so a live demo continues it."""
    workspace = tmp_path / "small"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    build(workspace, replace(SMALL, end=now), quiet=True)
    return workspace


def _start_live(workspace: Path, env: dict[str, str], tmp_path: Path) -> tuple:
    """`vigil demo --no-tui --serve` on `workspace`: the process and its children's PIDs."""
    out = tmp_path / "live.out"
    with out.open("w") as stdout:
        demo = subprocess.Popen(
            [VIGIL, "demo", "--workspace", str(workspace), "--no-tui", "--serve"],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    deadline = time.monotonic() + 120
    while not (match := LIVE_LINE.search(out.read_text())):
        assert demo.poll() is None and time.monotonic() < deadline, out.read_text()
        time.sleep(0.2)
    assert "reused" in out.read_text(), "the live demo rebuilt a continuous history"
    while not (workspace / HEARTBEAT).exists():
        assert demo.poll() is None and time.monotonic() < deadline, "the driver never drove"
        time.sleep(0.2)
    return demo, int(match.group(2)), int(match.group(3))


def _gone(*pids: int, within_s: float) -> bool:
    """Whether every process in `pids` has exited within `within_s`."""
    deadline = time.monotonic() + within_s
    while any(process_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_both_children(
    signum: int, small_live_workspace: Path, tmp_path: Path
) -> None:
    demo, server_pid, driver_pid = _start_live(
        small_live_workspace, _isolated_env(tmp_path), tmp_path
    )
    try:
        demo.send_signal(signum)
        assert demo.wait(60) == 0
        assert _gone(server_pid, driver_pid, within_s=5)
        assert not (small_live_workspace / "serving.json").exists()
    finally:
        for pid in (demo.pid, driver_pid, server_pid):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_killed_demo_leaves_no_orphans(small_live_workspace: Path, tmp_path: Path) -> None:
    demo, server_pid, driver_pid = _start_live(
        small_live_workspace, _isolated_env(tmp_path), tmp_path
    )
    try:
        demo.kill()
        demo.wait()
        assert _gone(server_pid, driver_pid, within_s=30)
    finally:
        for pid in (driver_pid, server_pid):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_live_demo_continues_a_recent_history_and_rebuilds_a_stale_one(
    small_live_workspace: Path,
) -> None:
    built = json.loads((small_live_workspace / ".demo-complete").read_text())["spec"]
    end = datetime.fromisoformat(built["end"])
    assert live_spec(small_live_workspace, 7, end + timedelta(seconds=90)).end == end
    later = end + timedelta(minutes=10, seconds=30)
    rebuilt = live_spec(small_live_workspace, 7, later).end
    assert later < rebuilt <= later + MAX_LEAD + timedelta(minutes=1)
    assert rebuilt.timestamp() % 60 == 0
    heartbeat = {"pid": 1, "until": (later - timedelta(minutes=1)).timestamp()}
    (small_live_workspace / HEARTBEAT).write_text(json.dumps(heartbeat))
    assert live_spec(small_live_workspace, 7, later).end == end
    assert live_spec(small_live_workspace, 8, end).seed == 8


def test_leaving_the_console_stops_both_children(
    small_live_workspace: Path, tmp_path: Path
) -> None:
    from tests.tui.tmux import TmuxSession, clean_env

    workspace = small_live_workspace
    session = TmuxSession(socket=f"vigil-live-{os.getpid()}")
    session.start(
        [VIGIL, "demo", "--workspace", str(workspace)], clean_env(str(tmp_path)), (100, 30)
    )
    server_pid = driver_pid = 0
    try:
        session.wait_for(
            lambda text: "fraud-detector" in text and "churn-classifier" in text,
            timeout_s=120,
            what="the overview of the live demo",
        )
        deadline = time.monotonic() + 60
        while not (workspace / ".demo-live").exists() or not (workspace / "serving.json").exists():
            assert time.monotonic() < deadline, "the live children did not start"
            time.sleep(0.2)
        server_pid = json.loads((workspace / "serving.json").read_text())["pid"]
        driver_pid = json.loads((workspace / ".demo-live").read_text())["pid"]
        assert process_alive(server_pid) and process_alive(driver_pid)
        session.keys("q")
        session.wait_for(lambda text: "VIGIL_EXIT=0" in text, timeout_s=60, what="vigil to exit 0")
        assert _gone(server_pid, driver_pid, within_s=5)
        assert not (workspace / "serving.json").exists()
    finally:
        session.close()
        for pid in (driver_pid, server_pid):
            if pid and process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_closing_the_terminal_stops_both_children(
    small_live_workspace: Path, tmp_path: Path
) -> None:
    from tests.tui.tmux import TmuxSession, clean_env

    workspace = small_live_workspace
    session = TmuxSession(socket=f"vigil-hup-{os.getpid()}")
    command = [VIGIL, "demo", "--workspace", str(workspace)]
    session.start(command, clean_env(str(tmp_path)), (100, 30))
    server_pid = driver_pid = 0
    try:
        session.wait_for(
            lambda text: "fraud-detector" in text, timeout_s=120, what="the live console"
        )
        deadline = time.monotonic() + 60
        while not (workspace / HEARTBEAT).exists() or not (workspace / "serving.json").exists():
            assert time.monotonic() < deadline, "the live children did not start"
            time.sleep(0.2)
        server_pid = json.loads((workspace / "serving.json").read_text())["pid"]
        driver_pid = json.loads((workspace / HEARTBEAT).read_text())["pid"]
        session.close()  # the terminal goes away: vigil demo gets SIGHUP
        assert _gone(server_pid, driver_pid, within_s=30), _what_ran(workspace, tmp_path)
        assert not (workspace / "serving.json").exists()
    finally:
        session.close()
        for pid in (driver_pid, server_pid):
            if pid and process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def _what_ran(workspace: Path, home: Path) -> str:
    """The console's log (a hung exit dumps its threads there) and the children's logs."""
    logs = [home / ".local" / "state" / "vigil" / "vigil.log", *(workspace / "live").glob("*.log")]
    return "\n".join(f"== {log}\n{log.read_text()[-3000:]}" for log in logs if log.exists())


def test_a_child_that_dies_stops_the_other_and_fails_the_demo(
    small_live_workspace: Path, tmp_path: Path
) -> None:
    demo, server_pid, driver_pid = _start_live(
        small_live_workspace, _isolated_env(tmp_path), tmp_path
    )
    try:
        os.kill(driver_pid, signal.SIGKILL)
        assert demo.wait(60) == 1
        assert _gone(server_pid, within_s=5)
    finally:
        for pid in (demo.pid, driver_pid, server_pid):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)
