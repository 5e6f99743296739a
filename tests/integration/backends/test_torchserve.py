"""The torchserve backend against a real TorchServe holding two versions of a Torch model."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
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
from backends.torchserve import TorchServeServing
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server

pytestmark = pytest.mark.integration
VIGIL = (sys.executable, "-m", "console")


def backend(server: Server) -> TorchServeServing:
    """The backend on the test's TorchServe."""
    return TorchServeServing(server.url, inference_url=server.extra["inference_url"], timeout_s=30)


def predict(server: Server, value: float) -> float:
    """What the default version of `tiny` answers for [value]."""
    answer = httpx.post(
        f"{server.extra['inference_url']}/predictions/tiny", json=[value], timeout=30
    )
    assert answer.status_code == 200, answer.text
    return float(answer.json()[0])


def test_versions_worker_state_and_default_are_read(torchserve_server: Server) -> None:
    serving = backend(torchserve_server)
    try:
        status = serving.rollback("tiny", "2")
        assert sorted((v.version, v.state) for v in status.versions) == [
            ("1", "ready"),
            ("2", "ready"),
        ]
        assert dict(status.weights) == {"2": 100}
        assert status.healthy
        assert predict(torchserve_server, 3.0) == 6.0
        assert [e.model for e in serving.endpoints()] == ["tiny"]
        with pytest.raises(NotFoundError):
            serving.status("no-such-model")
        with pytest.raises(NotFoundError):
            serving.rollback("tiny", "9")
    finally:
        serving.close()


def test_rollback_and_load_are_offered_no_traffic_split(torchserve_server: Server) -> None:
    serving = backend(torchserve_server)
    assert capabilities(serving) == frozenset({SupportsRollback, SupportsLoad})
    assert not supports(serving, SupportsTrafficSplit)
    assert not hasattr(serving, "set_weights")


def _register_tiny(workspace: Path) -> None:
    """`tiny` v1 (champion) and v2 in the context's embedded registry."""
    registry = EmbeddedBackend(str(workspace))
    try:
        for number in ("1", "2"):
            registry.register_version(
                ModelVersion(
                    model="tiny",
                    version=number,
                    created_at=datetime(2026, 11, 1, int(number), tzinfo=UTC),
                    runtime="torch",
                    artifact_uri=f"tiny_v{number}.mar",
                    lineage=Lineage("c", "d", "p", "e"),
                ),
                model_task="regression",
            )
        registry.set_alias("tiny", "champion", "1")
    finally:
        registry.close()


def _ts_context(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A context `ts` whose serving is the test's TorchServe, `tiny` v1 champion in its registry."""
    spec = {
        "type": "torchserve",
        "management_url": server.url,
        "inference_url": server.extra["inference_url"],
    }
    workspace = install_context(tmp_path, monkeypatch, "ts", {"serving": spec})
    _register_tiny(workspace)
    return workspace


def _runbook(*params: str) -> subprocess.CompletedProcess[str]:
    """`vigil --context ts runbook run ... --yes` in a child process; its output."""
    return subprocess.run(
        [*VIGIL, "--context", "ts", "runbook", "run", *params, "--yes"],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ),
        check=False,
    )


def test_the_rollback_runbook_sets_the_default_version(
    torchserve_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = backend(torchserve_server)
    serving.rollback("tiny", "2")
    _ts_context(torchserve_server, tmp_path, monkeypatch)
    done = _runbook("rollback", "-p", "model=tiny")
    assert done.returncode == 0, done.stdout + done.stderr
    assert dict(serving.status("tiny").weights) == {"1": 100}
    assert predict(torchserve_server, 3.0) == 3.0
    assert "rolled back v2:100% → v1:100%" in done.stdout, done.stdout


def test_the_promote_runbook_makes_the_version_the_default_and_moves_the_alias(
    torchserve_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = backend(torchserve_server)
    try:
        serving.rollback("tiny", "1")
        workspace = _ts_context(torchserve_server, tmp_path, monkeypatch)
        done = _runbook("promote", "-p", "model=tiny", "-p", "version=2")
        assert done.returncode == 0, done.stdout + done.stderr
        assert dict(serving.status("tiny").weights) == {"2": 100}
        assert predict(torchserve_server, 3.0) == 6.0
        registry = EmbeddedBackend(str(workspace))
        try:
            champion = registry.get_model("tiny").alias("champion")
            assert champion is not None and champion.version == "2"
        finally:
            registry.close()
    finally:
        serving.rollback("tiny", "1")
        serving.close()


async def test_the_console_offers_rollback_and_promote_on_torchserve_but_no_weight(
    torchserve_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from console.tui.screens.overview import OverviewScreen
    from tests.tui.helpers import screen_text, settle

    _ts_context(torchserve_server, tmp_path, monkeypatch)
    context = load_config(config_home() / "config.yaml")["contexts"]["ts"]
    app = VigilApp(context, context_name="ts", live_ticks=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        for _ in range(500):
            if screen.action_states is not None:
                break
            await pilot.pause(0.02)
        states = screen.action_states
        assert states is not None, "the capabilities were never read"
        assert states["promote"].offered and states["rollback"].offered
        assert not states["weight"].offered
        await pilot.pause(0.1)
        footer = screen_text(app).splitlines()[-1]
        assert "promote" in footer and "rollback" in footer and "weight" not in footer, footer


def test_a_stopped_torchserve_is_a_backend_error(tmp_path: Path) -> None:
    server = launch.torchserve(tmp_path / "torchserve")
    serving = TorchServeServing(server.url, timeout_s=5)
    try:
        assert serving.endpoints() == []
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            serving.endpoints()
    finally:
        serving.close()
        server.stop()


def test_unload_stops_a_versions_workers_and_load_starts_one(torchserve_server: Server) -> None:
    serving = backend(torchserve_server)
    try:
        serving.rollback("tiny", "1")
        with pytest.raises(BackendError, match="default"):
            serving.unload("tiny", "1")
        states = {v.version: v.state for v in serving.unload("tiny", "2").versions}
        assert states == {"1": "ready", "2": "unloaded"}
        states = {v.version: v.state for v in serving.load("tiny", "2").versions}
        assert states == {"1": "ready", "2": "ready"}
    finally:
        serving.close()


async def test_a_torchserve_stopped_mid_session_degrades_only_the_traffic_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from tests.tui.helpers import settle
    from tests.tui.test_flows import table_rows

    server = launch.torchserve(tmp_path / "torchserve")
    try:
        launch.serve_tiny(server)
        spec = {"type": "torchserve", "management_url": server.url}
        workspace = install_context(tmp_path, monkeypatch, "ts", {"serving": spec})
        _register_tiny(workspace)
        context = load_config(config_home() / "config.yaml")["contexts"]["ts"]
        app = VigilApp(context, context_name="ts", live_ticks=False)
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            before = {row[0]: row for row in table_rows(app, "#models")}
            assert before["tiny"][1].startswith("v1:100")
            server.stop()  # the serving runtime goes away mid-session
            await pilot.press("r")
            await settle(pilot)
            after = {row[0]: row for row in table_rows(app, "#models")}
            assert after["tiny"][1] == "~" + before["tiny"][1]  # the last split, marked stale
            assert after["tiny"][5] == before["tiny"][5]  # incidents still read
            assert app.is_running
    finally:
        server.stop()
