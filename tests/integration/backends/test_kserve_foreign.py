"""kserve_v2 against a foreign V2 server (MLServer): it reads, and offers no change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backends.capabilities import capabilities, supports
from backends.contracts import (
    BackendError,
    Lineage,
    ModelVersion,
    NotFoundError,
    SupportsLoad,
    SupportsRollback,
    SupportsTrafficSplit,
)
from backends.embedded import EmbeddedBackend
from backends.kserve_v2 import KServeV2Serving
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server
from tests.integration.backends.test_mlflow import write_request_metrics

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


def test_a_stopped_foreign_server_is_a_backend_error(tmp_path: Path) -> None:
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


def _register_doubler(workspace: Path) -> None:
    """`doubler` v1 (champion, SLO 40 ms) in the context's embedded registry."""
    registry = EmbeddedBackend(str(workspace))
    try:
        registry.register_version(
            ModelVersion(
                model="doubler",
                version="1",
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
                runtime="onnx",
                artifact_uri="doubler_v1.onnx",
                lineage=Lineage("c", "d", "p", "e"),
            )
        )
        registry.upsert_model("doubler", slo_p99_ms=40.0)
        registry.set_alias("doubler", "champion", "1")
    finally:
        registry.close()


async def test_an_mlserver_stopped_mid_session_degrades_only_the_serving_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from tests.tui.helpers import screen_text, settle
    from tests.tui.test_flows import table_rows

    server = launch.mlserver(tmp_path / "mlserver")  # private: this test stops it
    try:
        spec = {"type": "kserve_v2", "url": server.url, "timeout_s": 5}
        workspace = install_context(tmp_path, monkeypatch, "v2", {"serving": spec})
        _register_doubler(workspace)
        write_request_metrics(workspace, "doubler")
        context = load_config(config_home() / "config.yaml")["contexts"]["v2"]
        app = VigilApp(context, context_name="v2", live_ticks=False, timeout_s=60)
        async with app.run_test(size=(160, 30)) as pilot:
            await settle(pilot)
            before = {row[0]: row for row in table_rows(app, "#models")}["doubler"]
            assert before[1:6] == ["v1:100", "1.00 %", "20/40 ok", "none", "0"], before
            assert "cannot reach" not in screen_text(app)
            server.stop()  # the serving runtime goes away mid-session
            await pilot.press("r")
            await settle(pilot)
            after = {row[0]: row for row in table_rows(app, "#models")}["doubler"]
            # MODEL TRAFFIC ERR P99/SLO CANARY INC AGE: the two serving cells are kept, marked ~
            assert after[1] == "~" + before[1] and after[4] == "~" + before[4], after
            assert after[:1] + after[2:4] + after[5:6] == before[:1] + before[2:4] + before[5:6]
            assert after[6][0].isdigit(), after  # AGE (of the metrics) still read
            text = screen_text(app)
            assert "✗ serving: " in text and "cannot reach" in text, text
            assert "registry unavailable" not in text and "✗ metrics" not in text, text
            assert app.is_running
    finally:
        server.stop()
