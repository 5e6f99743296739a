"""Start-up errors, one server per workspace, graceful drain on SIGTERM, the final rollups."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from backends.embedded import EmbeddedBackend

from .helpers import start_server, stop_server

pytestmark = pytest.mark.integration


def _vigil(*args):
    command = [sys.executable, "-m", "console", "serve", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_start_up_errors_exit_2_with_a_message(workspace, tmp_path):
    bad_port = _vigil("--workspace", str(workspace), "--port", "70000")
    assert bad_port.returncode == 2 and "--port must be in [0, 65535]" in bad_port.stderr
    missing = _vigil("--workspace", str(tmp_path / "absent"))
    assert missing.returncode == 2 and "is not a directory" in missing.stderr
    no_token = _vigil("--workspace", str(workspace), "--token-file", str(tmp_path / "none"))
    assert no_token.returncode == 2 and "cannot read token file" in no_token.stderr
    shared_file = tmp_path / "shared.tokens"
    shared_file.write_text("ops:a-token-anyone-here-can-read\n")
    shared_file.chmod(0o644)
    shared = _vigil("--workspace", str(workspace), "--token-file", str(shared_file))
    assert shared.returncode == 2 and "open to group or others (mode 0644)" in shared.stderr
    shared_file.chmod(0o600)
    shared_file.write_text("a-bare:token:with:colons\nbare-token\n")
    bare = _vigil("--workspace", str(workspace), "--token-file", str(shared_file))
    assert bare.returncode == 2 and "line 2: expected `name:token`" in bare.stderr
    errors = bad_port.stderr + missing.stderr + no_token.stderr + shared.stderr + bare.stderr
    assert "Traceback" not in errors


def test_a_busy_port_is_a_clear_error(workspace):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        answer = _vigil("--workspace", str(workspace), "--port", str(port))
    assert answer.returncode == 2 and f"cannot serve on 127.0.0.1:{port}" in answer.stderr


def test_sigterm_drains_an_in_flight_request_then_cleans_up(workspace):
    running = start_server(workspace, "--sample-rate", "0")
    assert json.loads((workspace / "serving.json").read_text())["pid"] == running.process.pid
    second = _vigil("--workspace", str(workspace), "--port", "0")
    assert second.returncode == 2 and f"already runs on {workspace}: {running.url}" in second.stderr
    host, port = running.url.removeprefix("http://").split(":")
    body = json.dumps(
        {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        head = (
            f"POST /v2/models/fraud/versions/1/infer HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body[:10])
        time.sleep(0.5)
        running.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        conn.sendall(body[10:])
        answer = b""
        while b"}]}" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"model_version":"1"' in answer
    assert stop_server(running) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    assert not (workspace / "serving.json").exists()
    now = datetime.now(UTC)
    series = EmbeddedBackend(workspace).query_range(
        "requests_total", {"model": "fraud", "version": "1"}, now - timedelta(hours=1), now
    )
    assert series and series[0].values.sum() >= 1


def test_ctrl_c_stops_the_server_and_its_helper_without_a_traceback(workspace):
    running = start_server(workspace, "--sample-rate", "0", own_group=True)
    log = workspace / "server.log"
    start = log.stat().st_size
    rows = [[0.5, 1.0, -1.0]] * 40_000  # a large body starts the helper process
    body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [40_000, 3], "data": rows}]}
    assert running.http.post("/v2/models/fraud/infer", json=body, timeout=60).status_code == 200
    os.killpg(running.process.pid, signal.SIGINT)
    assert running.process.wait(30) in (0, -signal.SIGINT, 130)
    running.http.close()
    written = log.read_bytes()[start:].decode(errors="replace")
    assert "Traceback" not in written and "KeyboardInterrupt" not in written
