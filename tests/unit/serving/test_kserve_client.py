"""KServeV2Serving fails with BackendError reasons, never raw httpx errors or the token."""

from __future__ import annotations

import socket

import pytest

from backends.contracts import BackendError, SupportsLoad, SupportsRollback, SupportsTrafficSplit
from backends.kserve_v2 import KServeV2Serving


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_server_is_a_backend_error_without_the_token():
    client = KServeV2Serving(
        f"http://127.0.0.1:{_closed_port()}", token="s3cret-value", timeout_s=1
    )
    with pytest.raises(BackendError) as caught:
        client.status("fraud")
    assert "cannot reach" in str(caught.value) and "s3cret-value" not in str(caught.value)
    assert "s3cret-value" not in repr(client)


def test_admin_calls_without_a_token_say_how_to_give_one(monkeypatch):
    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    client = KServeV2Serving("http://127.0.0.1:9")
    assert not client.has_admin
    with pytest.raises(BackendError, match="no admin token"):
        client.set_weights("fraud", {"1": 100})


def test_token_file_and_bad_url(tmp_path):
    path = tmp_path / "t"
    path.write_text("ops:abc\n")
    assert KServeV2Serving("http://x", token_file=str(path)).has_admin
    with pytest.raises(BackendError, match="cannot read token file"):
        KServeV2Serving("http://x", token_file=str(tmp_path / "absent"))
    with pytest.raises(BackendError, match="must start with http"):
        KServeV2Serving("127.0.0.1:8080")


def test_it_offers_the_serving_capabilities():
    client = KServeV2Serving("http://127.0.0.1:9", token="t")
    assert isinstance(client, SupportsTrafficSplit)
    assert isinstance(client, SupportsRollback) and isinstance(client, SupportsLoad)
