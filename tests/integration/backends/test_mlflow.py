"""The mlflow registry against a real MLflow server; models registered by the official client."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backends.capabilities import supports
from backends.contracts import BackendError, NotFoundError, SupportsRegister
from backends.mlflow import MlflowRegistry
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server

pytestmark = pytest.mark.integration

REGISTER = """
import json, sys
import mlflow
import pandas as pd
from mlflow import MlflowClient

url, model, commit = sys.argv[1:4]
mlflow.set_tracking_uri(url)
client = MlflowClient()
mlflow.set_experiment(model)
client.create_registered_model(model, tags={"task": "binary-classification", "slo_p99_ms": "40"})
out = {"versions": []}
for lr in ("0.1", "0.05"):
    with mlflow.start_run() as run:
        mlflow.log_params({"lr": lr, "depth": "3"})
        mlflow.set_tag("mlflow.source.git.commit", commit + lr)
        frame = pd.DataFrame({"amount": [1.0, 2.0, float(len(lr))], "label": [0, 1, 0]})
        dataset = mlflow.data.from_pandas(frame, name="train")
        mlflow.log_input(dataset, context="training")
        mlflow.log_text("stub", "model/MLmodel")
    made = client.create_model_version(model, f"runs:/{run.info.run_id}/model", run.info.run_id)
    out["versions"].append({"version": made.version, "digest": dataset.digest, "lr": lr})
client.set_registered_model_alias(model, "champion", out["versions"][0]["version"])
client.set_registered_model_alias(model, "challenger", out["versions"][1]["version"])
print(json.dumps(out))
"""


def params_hash(params: dict[str, str]) -> str:
    """The params hash computed independently of the backend: sha256 of sorted compact JSON."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def register(server: Server, model: str) -> dict:
    """Register `model` with two versions (champion, challenger) through the official client."""
    out = launch.env_python("mlflow", REGISTER, server.url, model, "c0ffee")
    return json.loads(out.strip().splitlines()[-1])


def vigil(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `vigil` CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_models_json_shows_mlflow_models_versions_aliases_and_lineage(
    mlflow_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = register(mlflow_server, "fraud-cli")
    install_context(
        tmp_path, monkeypatch, "mlf", {"registry": {"type": "mlflow", "url": mlflow_server.url}}
    )
    done = vigil("--context", "mlf", "models", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    versions = rows["fraud-cli"]["versions"]
    assert [(v["version"], v["aliases"]) for v in versions] == [
        (made["versions"][0]["version"], ["champion"]),
        (made["versions"][1]["version"], ["challenger"]),
    ]
    for shown, registered in zip(versions, made["versions"], strict=True):
        lineage = shown["lineage"]
        assert lineage["code_hash"] == "c0ffee" + registered["lr"]
        assert lineage["data_hash"] == registered["digest"]
        assert lineage["config_hash"] == params_hash({"depth": "3", "lr": registered["lr"]})
    assert rows["fraud-cli"]["slo_p99_ms"] == 40.0


def test_versions_searched_without_aliases_are_completed_and_events_listed(
    mlflow_server: Server,
) -> None:
    made = register(mlflow_server, "fraud-events")
    registry = MlflowRegistry(mlflow_server.url)
    try:
        model = registry.get_model("fraud-events")
        champion = model.alias("champion")
        assert champion is not None and champion.version == made["versions"][0]["version"]
        now = datetime.now(UTC)
        events = registry.registry_events(
            "fraud-events", now - timedelta(hours=1), now + timedelta(minutes=1)
        )
        assert [e.kind for e in events] == ["version_registered", "version_registered"]
        assert supports(registry, SupportsRegister)
        moved = registry.set_alias("fraud-events", "champion", made["versions"][1]["version"])
        assert moved.detail == {"alias": "champion", "from": made["versions"][0]["version"]}
        moved_to = registry.get_model("fraud-events").alias("champion")
        assert moved_to is not None and moved_to.version == made["versions"][1]["version"]
        events = registry.registry_events(
            "fraud-events", now - timedelta(hours=1), now + timedelta(minutes=1)
        )
        assert [e.kind for e in events][-1] == "alias_moved"
        with pytest.raises(NotFoundError):
            registry.get_model("no-such-model")
        with pytest.raises(NotFoundError):
            registry.set_alias("fraud-events", "champion", "99")
    finally:
        registry.close()


async def test_the_model_screen_shows_mlflow_lineage(
    mlflow_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from console.tui.screens.model import ModelScreen
    from console.tui.views import ViewArgs
    from console.tui.widgets.table import VigilTable
    from tests.tui.helpers import settle

    made = register(mlflow_server, "fraud-screen")
    registry = {"registry": {"type": "mlflow", "url": mlflow_server.url}}
    install_context(tmp_path, monkeypatch, "mlf", registry)
    context = load_config(config_home() / "config.yaml")["contexts"]["mlf"]
    app = VigilApp(context, context_name="mlf", live_ticks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ModelScreen(app.settings, ViewArgs(model="fraud-screen")))
        await settle(pilot)
        table = app.screen.query_one("#lineage", VigilTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    first, second = made["versions"]
    assert [row[0] for row in rows] == [f"v{first['version']}", f"v{second['version']}"]
    assert rows[0][1:4] == [
        "c0ffee0.1",
        first["digest"][:10],
        params_hash({"depth": "3", "lr": "0.1"})[:10],
    ]


def test_a_stopped_mlflow_is_a_backend_error(tmp_path: Path) -> None:
    server = launch.mlflow(tmp_path / "mlflow")
    registry = MlflowRegistry(server.url, timeout_s=5)
    try:
        assert registry.list_models() == []
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            registry.list_models()
    finally:
        registry.close()
        server.stop()


def write_request_metrics(workspace: Path, model: str) -> None:
    """Five minutes to now of `model` v1 in the embedded metrics: 1 % errors, p99 20 ms."""
    import pandas as pd

    from backends.embedded import EmbeddedBackend

    now = datetime.now(UTC).timestamp()
    minutes = [now - 60 * i for i in range(5)]
    labels = {"model": model, "version": "1"}
    series = {
        "requests_total": (labels, 100.0),
        "errors_total": (labels, 1.0),
        "request_latency_ms": ({**labels, "quantile": "0.99"}, 20.0),
    }
    frame = pd.DataFrame(
        [
            {"name": name, "labels": series_labels, "ts": ts, "value": value}
            for name, (series_labels, value) in series.items()
            for ts in minutes
        ]
    )
    metrics = EmbeddedBackend(str(workspace))
    try:
        metrics.write_points(frame)
    finally:
        metrics.close()


async def test_an_mlflow_stopped_mid_session_degrades_only_the_registry(
    mlserver_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from console.tui.screens.model import ModelScreen
    from console.tui.screens.overview import OverviewScreen
    from console.tui.views import ViewArgs
    from tests.tui.helpers import screen_text, settle
    from tests.tui.test_flows import table_rows

    server = launch.mlflow(tmp_path / "mlflow")  # private: this test stops it
    try:
        register(server, "doubler")  # the model the shared MLServer serves
        backends = {
            "registry": {"type": "mlflow", "url": server.url, "timeout_s": 5},
            "serving": {"type": "kserve_v2", "url": mlserver_server.url, "timeout_s": 30},
        }
        workspace = install_context(tmp_path, monkeypatch, "mlf", backends)
        write_request_metrics(workspace, "doubler")
        context = load_config(config_home() / "config.yaml")["contexts"]["mlf"]
        app = VigilApp(context, context_name="mlf", live_ticks=False, timeout_s=60)
        async with app.run_test(size=(160, 30)) as pilot:
            await settle(pilot)
            overview = app.screen
            assert isinstance(overview, OverviewScreen)
            before = {row[0]: row for row in table_rows(app, "#models")}
            assert before["doubler"][1:4] == ["v1:100", "1.00 %", "20/40 ok"], before
            assert overview.overview is not None
            traffic_read_at = overview.overview.rows[0].traffic.read_at
            server.stop()  # the registry goes away mid-session
            await pilot.press("r")
            await settle(pilot)
            assert overview.overview is not None and not overview.overview.models.ok
            after = {row[0]: row for row in table_rows(app, "#models")}
            assert after["doubler"][:6] == before["doubler"][:6]  # no cell marked ~ or ✗
            assert after["doubler"][6][0].isdigit()  # AGE (of the data) still read
            assert overview.overview.rows[0].traffic.read_at > traffic_read_at  # re-read
            text = screen_text(app)
            assert "registry unavailable" in text and "cannot reach" in text, text
            app.push_screen(ModelScreen(app.settings, ViewArgs(model="doubler")))
            await settle(pilot)
            text = screen_text(app)
            assert "registry" in text and "cannot reach" in text, text
            assert app.is_running
    finally:
        server.stop()
