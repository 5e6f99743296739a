"""Serving control: the stored split offline, delegation to a live server, traffic events."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from backends.contracts import BackendError, EndpointStatus, Lineage, ModelVersion
from backends.embedded import EmbeddedBackend

T0 = datetime(2026, 11, 1, tzinfo=UTC)


class _Health(BaseHTTPRequestHandler):
    """Answers GET /v2/health/live with 200, anything else with 404."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/v2/health/live" else 404)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        """Keep test output quiet."""


class _FakeServing:
    """Stands in for KServeV2Serving, recording what the embedded backend delegates."""

    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, url: str, token_file: str | None = None) -> None:
        self.url, self.token_file = url, token_file
        _FakeServing.calls.append(("init", (url, token_file)))

    def _status(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        return EndpointStatus(model, (), dict(weights), True, self.url, True)

    def status(self, model: str) -> EndpointStatus:
        _FakeServing.calls.append(("status", model))
        return self._status(model, {"1": 100})

    def set_weights(self, model: str, weights: Mapping[str, int]) -> EndpointStatus:
        _FakeServing.calls.append(("set_weights", dict(weights)))
        return self._status(model, weights)

    def load(self, model: str, version: str) -> EndpointStatus:
        _FakeServing.calls.append(("load", version))
        return self._status(model, {"1": 100})

    def close(self) -> None:
        _FakeServing.calls.append(("close", None))


@pytest.fixture
def backend(tmp_path: Path) -> EmbeddedBackend:
    """`fraud` with versions 1 (champion) and 2."""
    made = EmbeddedBackend(str(tmp_path))
    lineage = Lineage("c", "d", "k", "e")
    made.register_version(ModelVersion("fraud", "1", T0, "onnx", "a", lineage, ("champion",)))
    made.register_version(ModelVersion("fraud", "2", T0, "onnx", "b", lineage))
    return made


@pytest.fixture
def health_server() -> Iterator[str]:
    """A live health endpoint on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_without_a_server_the_stored_split_is_shown_not_live(backend, tmp_path: Path) -> None:
    assert backend.stored_traffic("fraud") == {"1": 100}
    status = backend.status("fraud")
    assert (status.live, status.healthy, dict(status.weights)) == (False, False, {"1": 100})
    assert {v.state for v in status.versions} == {"unloaded"}
    with pytest.raises(BackendError, match="no server runs"):
        backend.load("fraud", "2")


def test_an_announced_server_that_is_down_reads_as_stored_but_refuses_changes(
    backend, tmp_path: Path
) -> None:
    (tmp_path / "serving.json").write_text(
        json.dumps({"url": f"http://127.0.0.1:{_closed_port()}"})
    )
    status = backend.status("fraud")
    assert (status.live, dict(status.weights)) == (False, {"1": 100})
    with pytest.raises(BackendError, match="did not take the change"):
        backend.set_weights("fraud", {"1": 50, "2": 50})
    with pytest.raises(BackendError, match="did not take the change"):
        backend.load("fraud", "2")
    assert backend.stored_traffic("fraud") == {"1": 100}


def test_a_live_server_gets_the_calls(backend, tmp_path: Path, health_server, monkeypatch) -> None:
    monkeypatch.setattr("backends.kserve_v2.KServeV2Serving", _FakeServing)
    _FakeServing.calls = []
    info = {"url": health_server, "pid": 1, "token_file": str(tmp_path / "token")}
    (tmp_path / "serving.json").write_text(json.dumps(info))
    assert backend.status("fraud").live is True
    backend.set_weights("fraud", {"1": 70, "2": 30})
    backend.load("fraud", "2")
    with pytest.raises(ValueError, match="sum to 100"):
        backend.set_weights("fraud", {"1": 70})
    assert _FakeServing.calls == [
        ("init", (health_server, str(tmp_path / "token"))),
        ("status", "fraud"),
        ("set_weights", {"1": 70, "2": 30}),
        ("load", "2"),
    ]
    assert backend.stored_traffic("fraud") == {"1": 100}


def test_store_traffic_records_a_timeline_event(backend) -> None:
    before = datetime.now(tz=UTC)
    backend.store_traffic("fraud", {"1": 80, "2": 20}, actor="local_serving admin")
    assert backend.stored_traffic("fraud") == {"1": 80, "2": 20}
    (event,) = backend.timeline_events("fraud", before, before + timedelta(minutes=1))
    assert (event.kind, event.layer, event.source) == (
        "traffic_change",
        "model",
        "local_serving admin",
    )
    assert dict(event.detail) == {
        "before": {"1": 100},
        "after": {"1": 80, "2": 20},
        "actor": "local_serving admin",
    }
    assert "1 100% → 1 80% / 2 20%" in event.summary


def test_a_malformed_serving_file_is_a_backend_error(backend, tmp_path: Path) -> None:
    (tmp_path / "serving.json").write_text("{not json")
    with pytest.raises(BackendError, match=r"serving\.json"):
        backend.status("fraud")


def test_an_unchanged_split_records_no_event_and_a_change_can_be_backdated(backend) -> None:
    backend.store_traffic("fraud", {"1": 100}, actor="server start")
    backend.store_traffic("fraud", {"1": 50, "2": 50}, actor="demo", at=T0)
    events = backend.timeline_events("fraud", T0, datetime.now(tz=UTC) + timedelta(minutes=1))
    assert [(e.at, e.source) for e in events] == [(T0, "demo")]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections but never answers, like a server under SIGSTOP."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _announce(tmp_path: Path, url: str, pid: int) -> None:
    """Write W/serving.json with a token file, as a running server does."""
    token = tmp_path / "admin.token"
    token.write_text("vigil:secret-token\n")
    info = {"url": url, "pid": pid, "token_file": str(token)}
    (tmp_path / "serving.json").write_text(json.dumps(info))


def test_a_stopped_server_fails_the_change_and_nothing_is_stored(
    backend, tmp_path: Path, silent_server: str
) -> None:
    import os

    _announce(tmp_path, silent_server, os.getpid())
    with pytest.raises(BackendError, match="runs but does not answer its health check"):
        backend.status("fraud")
    with pytest.raises(BackendError) as caught:
        backend.rollback("fraud", "2")
    message = str(caught.value)
    assert "did not take the change" in message and "no answer within" in message
    assert "nothing was stored" in message
    assert backend.stored_traffic("fraud") == {"1": 100}


def test_a_killed_server_still_announced_is_an_error_not_a_store(backend, tmp_path: Path) -> None:
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    _announce(tmp_path, f"http://127.0.0.1:{_closed_port()}", gone.pid)
    with pytest.raises(BackendError, match="no longer running; nothing was changed or stored"):
        backend.set_weights("fraud", {"1": 50, "2": 50})
    assert backend.stored_traffic("fraud") == {"1": 100}


def test_without_a_server_a_change_is_stored_and_says_it_is_not_live(backend) -> None:
    status = backend.rollback("fraud", "2")
    assert status.live is False and dict(status.weights) == {"2": 100}
    assert backend.stored_traffic("fraud") == {"2": 100}


def test_offline_compare_and_set_refuses_when_the_stored_split_moved(backend) -> None:
    from backends.contracts import TrafficConflict

    seen = backend.status("fraud")
    backend.store_traffic("fraud", {"1": 80, "2": 20}, actor="someone else")
    with pytest.raises(TrafficConflict, match="someone changed it; nothing was stored"):
        backend.set_weights_if("fraud", {"1": 100}, seen)
    assert backend.stored_traffic("fraud") == {"1": 80, "2": 20}
    moved = backend.status("fraud")
    assert backend.set_weights_if("fraud", {"1": 100}, moved).live is False
    assert backend.stored_traffic("fraud") == {"1": 100}
