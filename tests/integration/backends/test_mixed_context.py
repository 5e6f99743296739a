"""MLflow, TorchServe and Prometheus in one context: it works; a stopped one degrades its panel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backends.mlflow import MlflowRegistry
from backends.torchserve import TorchServeServing
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server, running
from tests.integration.backends.test_mlflow import register

pytestmark = pytest.mark.integration


def vigil(*args: str) -> subprocess.CompletedProcess[str]:
    """`vigil --context mix ...` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "console", "--context", "mix", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ),
        check=False,
    )


async def test_a_mixed_context_reads_acts_and_degrades_one_panel(
    mlflow_server: Server,
    torchserve_server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.config import config_home, load_config
    from console.tui.app import VigilApp
    from tests.tui.helpers import screen_text, settle
    from tests.tui.test_flows import table_rows

    made = register(mlflow_server, "tiny")  # TorchServe serves `tiny` versions 1 and 2
    assert [v["version"] for v in made["versions"]] == ["1", "2"]
    serving = TorchServeServing(torchserve_server.url, timeout_s=30)
    serving.rollback("tiny", "1")
    with running(lambda: launch.prometheus(tmp_path / "prometheus", ["127.0.0.1:9"])) as prom:
        install_context(
            tmp_path,
            monkeypatch,
            "mix",
            {
                "registry": {"type": "mlflow", "url": mlflow_server.url},
                "serving": {"type": "torchserve", "management_url": torchserve_server.url},
                "metrics": {"type": "prometheus", "url": prom.url, "scrape_interval_s": 1},
            },
        )
        listed = vigil("models", "--json")
        assert listed.returncode == 0, listed.stderr
        (tiny,) = [row for row in json.loads(listed.stdout) if row["name"] == "tiny"]
        assert tiny["traffic"] == {"1": 100} and tiny["serving"] == "live"
        assert [v["aliases"] for v in tiny["versions"]] == [["champion"], ["challenger"]]

        promoted = vigil("runbook", "run", "promote", "-p", "model=tiny", "--yes")
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        assert dict(serving.status("tiny").weights) == {"2": 100}
        registry = MlflowRegistry(mlflow_server.url)
        champion = registry.get_model("tiny").alias("champion")
        registry.close()
        assert champion is not None and champion.version == "2"

        context = load_config(config_home() / "config.yaml")["contexts"]["mix"]
        app = VigilApp(context, context_name="mix", live_ticks=False)
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            before = {row[0]: row for row in table_rows(app, "#models")}
            assert before["tiny"][1].startswith("v2:100")
            assert "cannot reach" not in screen_text(app)  # up, though nothing is scraped yet
            prom.stop()  # the metric store goes away mid-session
            await pilot.press("r")
            await settle(pilot)
            after = {row[0]: row for row in table_rows(app, "#models")}
            assert after["tiny"][1].startswith("v2:100")  # serving and registry still answer
            assert after["tiny"][3].startswith("✗")  # the metrics cells say they failed
            text = screen_text(app)
            assert "metrics" in text and "cannot reach" in text
            assert app.is_running
    serving.rollback("tiny", "1")
    serving.close()
