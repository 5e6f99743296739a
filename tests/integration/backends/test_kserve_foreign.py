"""kserve_v2 against a foreign V2 server (MLServer): it reads, and offers no change."""

from __future__ import annotations

import pytest

from backends.capabilities import capabilities, supports
from backends.contracts import (
    BackendError,
    NotFoundError,
    SupportsLoad,
    SupportsRollback,
    SupportsTrafficSplit,
)
from backends.kserve_v2 import KServeV2Serving
from tests.integration.backends.servers import Server

pytestmark = pytest.mark.integration


def test_mlserver_models_and_readiness_are_read(mlserver_server: Server) -> None:
    serving = KServeV2Serving(mlserver_server.url, token="not-an-admin-api")
    try:
        status = serving.status("doubler")
        assert status.healthy
        assert [(v.version, v.state) for v in status.versions] == [("1", "ready")]
        assert dict(status.weights) == {}
        assert "doubler" in [endpoint.model for endpoint in serving.endpoints()]
        with pytest.raises(NotFoundError):
            serving.status("no-such-model")
    finally:
        serving.close()


@pytest.mark.parametrize("token", [None, "a-token-mlserver-ignores"])
def test_without_vigil_admin_api_only_reads_are_offered(
    mlserver_server: Server, token: str | None
) -> None:
    serving = KServeV2Serving(mlserver_server.url, token=token)
    try:
        assert capabilities(serving) == frozenset()
        for capability in (SupportsTrafficSplit, SupportsRollback, SupportsLoad):
            assert isinstance(serving, capability)  # the class has the methods ...
            assert not supports(serving, capability)  # ... this server does not offer them
        with pytest.raises(BackendError, match="admin"):
            serving.rollback("doubler", "1")
    finally:
        serving.close()


def test_a_stopped_foreign_server_is_a_backend_error(tmp_path) -> None:
    from tests.integration.backends import launch

    server = launch.mlserver(tmp_path / "mlserver")
    serving = KServeV2Serving(server.url)
    try:
        assert serving.status("doubler").healthy
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            serving.status("doubler")
        assert capabilities(serving) == frozenset()
    finally:
        serving.close()
        server.stop()
