"""How each real server is launched for the tests: its config files, command line and readiness."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.backends.servers import Server, env_bin, free_port, ok, start

MLSERVER_RUNTIME = """
import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceResponse


class Doubler(MLModel):
    async def load(self):
        return True

    async def predict(self, payload):
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        return InferenceResponse(
            model_name=self.name, outputs=[NumpyCodec.encode_output("score", x * 2)]
        )
"""


def mlserver(folder: Path, model: str = "doubler", version: str = "1") -> Server:
    """MLServer serving one tiny Python model (`model`, version `version`) on a free port."""
    binary = env_bin("mlserver", "mlserver")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runtime.py").write_text(MLSERVER_RUNTIME)
    port = free_port()
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "parallel_workers": 0,
        "debug": False,
    }
    (folder / "settings.json").write_text(json.dumps(settings))
    model_dir = folder / model
    model_dir.mkdir(exist_ok=True)
    (model_dir / "model-settings.json").write_text(
        json.dumps(
            {
                "name": model,
                "implementation": "runtime.Doubler",
                "parameters": {"version": version},
            }
        )
    )
    return start(
        "mlserver",
        [str(binary), "start", str(folder)],
        f"http://127.0.0.1:{port}",
        ok(f"/v2/models/{model}/ready"),
        folder,
        env={"PYTHONPATH": str(folder)},
    )


def mlflow(folder: Path) -> Server:
    """An MLflow tracking server with a sqlite store and local artifacts on a free port."""
    binary = env_bin("mlflow", "mlflow")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        str(binary),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--default-artifact-root",
        (folder / "artifacts").as_uri(),
    ]
    return start("mlflow", command, f"http://127.0.0.1:{port}", ok("/health"), folder)


def env_python(env: str, script: str, *args: str, timeout_s: float = 300) -> str:
    """Run `script` with a server env's python (its official client); its stdout, or fail."""
    import subprocess

    import pytest

    done = subprocess.run(
        [str(env_bin(env, "python")), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{env} client script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout
