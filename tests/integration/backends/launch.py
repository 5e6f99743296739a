"""How each real server is launched for the tests: its config files, command line and readiness."""

from __future__ import annotations

import json
import os
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


TRITON_CONFIG = """name: "{model}"
backend: "python"
max_batch_size: 0
input [ {{ name: "x", data_type: TYPE_FP32, dims: [ -1 ] }} ]
output [ {{ name: "y", data_type: TYPE_FP32, dims: [ -1 ] }} ]
instance_group [ {{ kind: KIND_CPU, count: 1 }} ]
version_policy: {{ all: {{}} }}
"""
TRITON_MODEL = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            y = pb_utils.Tensor("y", (x * {factor}).astype(np.float32))
            responses.append(pb_utils.InferenceResponse(output_tensors=[y]))
        return responses
"""


def triton(
    folder: Path,
    models: dict[str, float],
    versions: tuple[str, ...] = ("1",),
    explicit: bool = True,
) -> Server:
    """PyTriton's tritonserver with python-backend models (x * factor), all loaded at start.

    Each model has `versions` (all loaded, by the `all` version policy). `explicit` starts
    it in explicit model control (repository loads and unloads allowed), else in the
    default mode, which refuses them.

    Its binaries are copied with the python backend stub of the env's Python (as PyTriton
    does), and the stub runs on the env's interpreter (its bin first on PATH) for numpy.
    """
    import random
    import shutil

    python = env_bin("triton", "python")
    site = next((python.parent.parent / "lib").glob("python3.*/site-packages"))
    dist = site / "pytriton" / "tritonserver"
    server_dir = folder / "tritonserver"
    shutil.copytree(dist, server_dir, ignore=shutil.ignore_patterns("python_backend_stubs"))
    stub = dist / "python_backend_stubs" / site.parent.name[len("python") :]
    shutil.copy(stub / "triton_python_backend_stub", server_dir / "backends" / "python")
    repository = folder / "models"
    for model, factor in models.items():
        (repository / model).mkdir(parents=True, exist_ok=True)
        (repository / model / "config.pbtxt").write_text(TRITON_CONFIG.format(model=model))
        for version in versions:
            (repository / model / version).mkdir(exist_ok=True)
            code = TRITON_MODEL.format(factor=factor)
            (repository / model / version / "model.py").write_text(code)
    port = free_port()
    shm_prefix = f"vigil-triton-{os.getpid()}-{random.getrandbits(32):08x}-"
    command = [
        str(server_dir / "bin" / "tritonserver"),
        f"--model-repository={repository}",
        *(["--model-control-mode=explicit"] if explicit else []),
        *(f"--load-model={model}" for model in models if explicit),
        f"--backend-directory={server_dir / 'backends'}",
        f"--backend-config=python,shm-region-prefix-name={shm_prefix}",
        "--http-address=127.0.0.1",
        f"--http-port={port}",
        "--allow-grpc=false",
        "--allow-metrics=false",
        "--exit-timeout-secs=5",
    ]
    libs = site / "nvidia_pytriton.libs"
    server = start(
        "triton",
        command,
        f"http://127.0.0.1:{port}",
        ok("/v2/health/ready"),
        folder,
        env={
            "LD_LIBRARY_PATH": str(libs),
            "PATH": f"{python.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        },
    )
    server.extra["repository"] = str(repository)
    return server


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
    import tempfile

    import pytest

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(script)
    done = subprocess.run(
        [str(env_bin(env, "python")), file.name, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    Path(file.name).unlink()
    if done.returncode != 0:
        pytest.fail(f"{env} client script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


TORCH_MODEL = """
import sys
import torch

class Scale(torch.nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

torch.jit.save(torch.jit.script(Scale(float(sys.argv[2]))), sys.argv[1])
"""

TORCH_HANDLER = """
import json

import torch
from ts.torch_handler.base_handler import BaseHandler


class Handler(BaseHandler):
    def preprocess(self, data):
        rows = []
        for row in data:
            body = row.get("data") or row.get("body")
            if isinstance(body, (bytes, bytearray)):
                body = body.decode()
            rows.append(json.loads(body) if isinstance(body, str) else body)
        return torch.tensor(rows, dtype=torch.float32)

    def postprocess(self, data):
        return data.tolist()
"""


def torch_archive(store: Path, model: str, version: str, factor: float) -> Path:
    """A .mar of a TorchScript model multiplying its input by `factor`, built here (no download)."""
    work = store.parent / f"build-{model}-{version}"
    work.mkdir(parents=True, exist_ok=True)
    env_python("torchserve", TORCH_MODEL, str(work / "model.pt"), str(factor))
    (work / "handler.py").write_text(TORCH_HANDLER)
    import subprocess

    import pytest

    archive_name = f"{model}_v{version}"
    done = subprocess.run(
        [
            str(env_bin("torchserve", "torch-model-archiver")),
            "--model-name",
            archive_name,
            "--version",
            version,
            "--serialized-file",
            str(work / "model.pt"),
            "--handler",
            str(work / "handler.py"),
            "--export-path",
            str(store),
            "--force",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"torch-model-archiver failed:\n{done.stderr[-2000:]}")
    return store / f"{archive_name}.mar"


def torchserve(folder: Path) -> Server:
    """TorchServe (foreground, token auth off, model API on) with an empty model store."""
    binary = env_bin("torchserve", "torchserve")
    store = folder / "store"
    store.mkdir(parents=True, exist_ok=True)
    (folder / "tmp").mkdir(exist_ok=True)  # its PID file: one per server, not one per machine
    names = ("inference", "management", "metrics", "grpc_inference", "grpc_management")
    ports = {name: free_port() for name in names}
    config = folder / "config.properties"
    config.write_text(
        "\n".join(
            [
                f"inference_address=http://127.0.0.1:{ports['inference']}",
                f"management_address=http://127.0.0.1:{ports['management']}",
                f"metrics_address=http://127.0.0.1:{ports['metrics']}",
                "grpc_inference_address=127.0.0.1",
                "grpc_management_address=127.0.0.1",
                f"grpc_inference_port={ports['grpc_inference']}",
                f"grpc_management_port={ports['grpc_management']}",
                f"model_store={store}",
                "default_workers_per_model=1",
                "number_of_netty_threads=2",
                "install_py_dep_per_model=false",
                "disable_system_metrics=true",
                "",
            ]
        )
    )
    command = [
        str(binary),
        "--start",
        "--foreground",
        "--ncs",
        "--disable-token-auth",
        "--enable-model-api",
        "--ts-config",
        str(config),
        "--model-store",
        str(store),
    ]
    server = start(
        "torchserve",
        command,
        f"http://127.0.0.1:{ports['management']}",
        ok("/models"),
        folder,
        env={
            "PATH": f"{binary.parent}:/usr/bin:{os.environ.get('PATH', '/bin')}",
            "JAVA_HOME": "",
            "TMPDIR": str(folder / "tmp"),
        },
    )
    server.extra["inference_url"] = f"http://127.0.0.1:{ports['inference']}"
    server.extra["store"] = str(store)
    return server


def prometheus(folder: Path, targets: list[str], scrape_s: int = 1) -> Server:
    """Prometheus (Debian's) scraping `targets` (host:port) every `scrape_s` seconds."""
    import shutil

    import pytest

    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: scripts/test.sh installs Debian's package")
    folder.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f"'{target}'" for target in targets)
    (folder / "prometheus.yml").write_text(
        f"global:\n  scrape_interval: {scrape_s}s\n  evaluation_interval: {scrape_s}s\n"
        "scrape_configs:\n  - job_name: local_serving\n"
        f"    static_configs:\n      - targets: [{listed}]\n"
    )
    port = free_port()
    command = [
        binary,
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    return start("prometheus", command, f"http://127.0.0.1:{port}", ok("/-/ready"), folder)


FEAST_REPO = {
    "feature_store.yaml": """project: vigil_test
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
""",
    "features.py": """from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float32, Int64

account = Entity(name="account", join_keys=["account_id"])
account_stats = FeatureView(
    name="account_stats",
    entities=[account],
    ttl=timedelta(days=3650),
    schema=[Field(name="amount_mean", dtype=Float32), Field(name="txn_count", dtype=Int64)],
    source=FileSource(path="data/accounts.parquet", timestamp_field="event_timestamp"),
    online=True,
)
account_risk = FeatureView(
    name="account_risk",
    entities=[account],
    ttl=timedelta(days=3650),
    schema=[Field(name="risk_score", dtype=Float32)],
    source=FileSource(path="data/account_risk.parquet", timestamp_field="event_timestamp"),
    online=True,
)
merchant = Entity(name="merchant", join_keys=["merchant_id"])
merchant_stats = FeatureView(
    name="merchant_stats",
    entities=[merchant],
    ttl=timedelta(hours=2),
    schema=[Field(name="chargeback_rate", dtype=Float32)],
    source=FileSource(path="data/merchants.parquet", timestamp_field="event_timestamp"),
    online=True,
)
""",
}
FEAST_DATA = """
import sys
from datetime import datetime, timedelta

import pandas as pd

data, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
accounts = [
    {"account_id": i, "event_timestamp": now - timedelta(hours=i),
     "amount_mean": 10.0 * i, "txn_count": i}
    for i in range(1, 6)
]
pd.DataFrame(accounts).to_parquet(f"{data}/accounts.parquet")
risk = [
    {"account_id": i, "event_timestamp": now - timedelta(hours=i, minutes=30), "risk_score": i / 4}
    for i in range(1, 6)
]
risk.append({"account_id": 1, "event_timestamp": now - timedelta(minutes=10), "risk_score": 9.0})
pd.DataFrame(risk).to_parquet(f"{data}/account_risk.parquet")
merchants = [
    {"merchant_id": i, "event_timestamp": now - timedelta(hours=5 + i), "chargeback_rate": i / 100}
    for i in range(1, 4)
]
pd.DataFrame(merchants).to_parquet(f"{data}/merchants.parquet")
"""
FEAST_MATERIALISE = """
import sys
from datetime import datetime, timedelta

from feast import FeatureStore

store, now = FeatureStore(repo_path=sys.argv[1]), datetime.fromisoformat(sys.argv[2])
store.materialize_incremental(end_date=now, feature_views=["account_stats"])
store.materialize(now - timedelta(hours=12), now - timedelta(hours=5), ["merchant_stats"])
"""


def feast(folder: Path, now: str) -> Server:
    """`feast serve` (local provider) on a repo applied and materialised by the test.

    account_stats (accounts 1..5 written at now - i h, ttl 10 years) is
    materialised up to `now`; merchant_stats (merchants 1..3 at now - 5 - i h,
    ttl 2 h) only up to now - 5 h, so it has been stale since now - 3 h;
    account_risk (risk i / 4 at now - i h - 30 min, and 9 for account 1 at
    now - 10 min) is offline only, for the point-in-time join.
    """
    import subprocess

    import pytest

    feast_bin = env_bin("feast", "feast")
    repo = folder / "repo"
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for name, text in FEAST_REPO.items():
        (repo / name).write_text(text)
    env_python("feast", FEAST_DATA, str(repo / "data"), now)
    done = subprocess.run(
        [str(feast_bin), "apply"], cwd=repo, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"feast apply failed:\n{done.stderr[-2000:]}")
    env_python("feast", FEAST_MATERIALISE, str(repo), now)
    return feast_serve(repo)


def feast_serve(repo: Path, name: str = "feast") -> Server:
    """`feast serve` on a repo already applied and materialised (`feast` prepares one).

    `name` names its log in the repo: a second server on one repo needs its own.
    """
    port = free_port()
    command = [
        str(env_bin("feast", "feast")),
        "serve",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--no-access-log",
    ]
    server = start(name, command, f"http://127.0.0.1:{port}", ok("/health"), repo)
    server.extra["repo"] = str(repo)
    return server


def feast_registry(repo: Path) -> Server:
    """Feast's REST registry server (`feast serve_registry --rest-api`, no gRPC) on `repo`."""
    port = free_port()
    command = [
        str(env_bin("feast", "feast")),
        "serve_registry",
        "--no-grpc",
        "--rest-api",
        "--rest-port",
        str(port),
        "-h",
        "127.0.0.1",
    ]
    ready = ok("/api/v1/projects")
    return start("feast-registry", command, f"http://127.0.0.1:{port}", ready, repo)


def feast_offline(repo: Path) -> Server:
    """Feast's offline server (`feast serve_offline`, Arrow Flight) on `repo`."""
    import socket

    port = free_port()
    command = [str(env_bin("feast", "feast")), "serve_offline", "-h", "127.0.0.1", "-p", str(port)]

    def listening(_client: object) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return start("feast-offline", command, f"grpc+tcp://127.0.0.1:{port}", listening, repo)


def serve_tiny(server: Server) -> None:
    """Register `tiny` versions 1 (x * 1) and 2 (x * 2) on a TorchServe, one worker each."""
    import httpx

    store = Path(server.extra["store"])
    for version, factor in (("1", 1.0), ("2", 2.0)):
        archive = torch_archive(store, "tiny", version, factor)
        params = {"url": archive.name, "model_name": "tiny", "initial_workers": "1"}
        answer = httpx.post(
            f"{server.url}/models", params={**params, "synchronous": "true"}, timeout=300
        )
        assert answer.status_code == 200, answer.text
