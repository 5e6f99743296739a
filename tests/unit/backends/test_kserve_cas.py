"""KServeV2Serving's compare-and-set and audit-head parts against a recording admin API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from backends.audit_chain import HEAD_HEADER, announce_head
from backends.contracts import EndpointStatus, SupportsCompareAndSet, TrafficConflict
from backends.kserve_v2 import KServeV2Serving

HEAD = "7:" + "ab" * 32


class _Admin(BaseHTTPRequestHandler):
    """A one-model admin API with a generation; records every request it gets."""

    seen: ClassVar[list[dict[str, Any]]] = []
    table: ClassVar[dict[str, Any]] = {}

    def _answer(self, code: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _model(self) -> dict[str, Any]:
        return {"model": "fraud", "versions": [], "ready": True, **self.table}

    def do_GET(self) -> None:
        self.seen.append({"method": "GET", "head": self.headers.get(HEAD_HEADER)})
        listing = self.path == "/admin/models"
        self._answer(200, {"models": [self._model()]} if listing else self._model())

    def _change(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.seen.append(
            {"method": self.command, "body": body, "head": self.headers.get(HEAD_HEADER)}
        )
        expected = body.get("if_generation")
        if expected is not None and expected != self.table["generation"]:
            self._answer(409, {"error": "the split changed", **self.table})
            return
        weights = body.get("weights") or {body["to"]: 100}
        self.table.update(weights=weights, generation=self.table["generation"] + 1)
        self._answer(200, self._model())

    def do_PUT(self) -> None:
        if self.table.get("hang_s"):
            time.sleep(self.table["hang_s"])
        self._change()

    do_POST = _change

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def admin() -> Iterator[str]:
    """The recording admin API on 127.0.0.1, at generation 4 with v1 at 100 %."""
    _Admin.seen = []
    _Admin.table = {"weights": {"1": 100, "2": 0}, "generation": 4}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Admin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    announce_head(None)


def test_status_carries_the_generation_and_changes_carry_the_audit_head(admin: str) -> None:
    client = KServeV2Serving(admin, token="t")
    assert isinstance(client, SupportsCompareAndSet)
    seen = client.status("fraud")
    assert seen.generation == 4
    announce_head(HEAD)
    after = client.set_weights_if("fraud", {"1": 90, "2": 10}, seen)
    assert (dict(after.weights), after.generation) == ({"1": 90, "2": 10}, 5)
    change = _Admin.seen[-1]
    assert change["body"] == {"weights": {"1": 90, "2": 10}, "if_generation": 4}
    assert change["head"] == HEAD
    assert _Admin.seen[0]["head"] is None, "reads carry no audit head"


def test_a_409_is_a_conflict_with_the_current_split(admin: str) -> None:
    client = KServeV2Serving(admin, token="t")
    stale = EndpointStatus("fraud", (), {"1": 100}, True, generation=3)
    with pytest.raises(TrafficConflict) as caught:
        client.set_weights_if("fraud", {"2": 100}, stale)
    assert caught.value.current is not None and caught.value.current.generation == 4
    assert dict(caught.value.current.weights) == {"1": 100}
    with pytest.raises(TrafficConflict):
        client.rollback_if("fraud", "2", stale)
    assert _Admin.table["weights"] == {"1": 100, "2": 0}, "nothing changed"


def test_without_a_generation_the_split_is_compared_by_value(admin: str) -> None:
    client = KServeV2Serving(admin, token="t")
    thought = EndpointStatus("fraud", (), {"1": 50, "2": 50}, True)
    with pytest.raises(TrafficConflict, match="no longer the one read"):
        client.set_weights_if("fraud", {"2": 100}, thought)
    right = EndpointStatus("fraud", (), {"1": 100}, True)
    assert dict(client.set_weights_if("fraud", {"2": 100}, right).weights) == {"2": 100}
    assert "if_generation" not in _Admin.seen[-1]["body"]


def test_a_change_without_an_answer_says_it_may_still_apply(admin: str) -> None:
    from backends.contracts import BackendError

    client = KServeV2Serving(admin, token="t", timeout_s=0.5)
    seen = client.status("fraud")
    _Admin.table["hang_s"] = 1.5
    with pytest.raises(BackendError, match=r"no answer within 0\.5 s; the change may still"):
        client.set_weights_if("fraud", {"2": 100}, seen)
