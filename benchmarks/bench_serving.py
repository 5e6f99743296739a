"""local_serving against raw InferenceSession.run and MLServer, same model, same inputs, one run.

    .venv/bin/python benchmarks/bench_serving.py [--requests 2000] [--concurrency 4] [--no-mlserver]

Prints p50 / p99 latency and throughput for: raw ONNX Runtime in this process; local_serving
over HTTP (JSON, keep-alive); MLServer serving the same ONNX file through a minimal custom
runtime, installed on first use into the separate venv `.bench/mlserver` (skipped if that fails).
Goals: ≤ 1 ms p50 overhead over raw on a small model; at least MLServer's throughput.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MLSERVER_VENV = ROOT / ".bench" / "mlserver"
FEATURES = 16
MLSERVER_RUNTIME = """
import numpy as np
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceResponse


class OnnxModel(MLModel):
    async def load(self):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            self.settings.parameters.uri, options, providers=["CPUExecutionProvider"]
        )
        return True

    async def predict(self, payload):
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        y = self._session.run(None, {"input": x})[0]
        return InferenceResponse(
            model_name=self.name, outputs=[NumpyCodec.encode_output("score", y)]
        )
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def summarize(name: str, latencies: list[float], throughput: float) -> dict[str, float | str]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "name": name,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "rps": throughput,
    }


def bench_raw(model: Path, x: np.ndarray, n: int) -> dict[str, float | str]:
    """InferenceSession.run in this process, one intra-op thread, as local_serving runs it."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    for _ in range(200):
        session.run(None, {"input": x})
    latencies = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        session.run(None, {"input": x})
        latencies.append(time.perf_counter() - t0)
    return summarize("raw InferenceSession.run", latencies, n / (time.perf_counter() - start))


def post_loop(url: str, path: str, body: bytes, n: int, latencies: list[float]) -> None:
    """`n` keep-alive POSTs on one connection, appending each latency; any non-200 aborts."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json"}
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        latencies.append(time.perf_counter() - t0)
        if answer.status != 200:
            raise RuntimeError(f"{url}{path}: HTTP {answer.status}")
    conn.close()


def bench_http(name: str, url: str, path: str, body: bytes, n: int, concurrency: int) -> dict:
    """Sequential latency on one connection, then throughput with `concurrency` connections."""
    post_loop(url, path, body, 200, [])
    latencies: list[float] = []
    post_loop(url, path, body, n, latencies)
    threads = [
        threading.Thread(target=post_loop, args=(url, path, body, n // concurrency, []))
        for _ in range(concurrency)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    throughput = (n // concurrency) * concurrency / (time.perf_counter() - start)
    return summarize(name, latencies, throughput)


def wait_ready(url: str, process: subprocess.Popen, timeout_s: float = 180) -> None:
    """Poll /v2/health/ready until 200."""
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=2)
            conn.request("GET", "/v2/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def start_local_serving(workspace: Path) -> tuple[subprocess.Popen, str]:
    """`python -m local_serving` on the workspace, as an operator would run it."""
    token = workspace / "bench.token"
    token.write_text("bench:bench-token\n")
    token.chmod(0o600)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local_serving", "--workspace", str(workspace),
         "--port", str(port), "--token-file", str(token), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return process, url


def install_mlserver() -> str | None:
    """Create .bench/mlserver with MLServer unless it is there; returns why it failed, or None."""
    if (MLSERVER_VENV / "bin" / "mlserver").exists():
        return None
    print(f"installing MLServer into {MLSERVER_VENV} (once) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(MLSERVER_VENV)],
        [str(MLSERVER_VENV / "bin" / "pip"), "install", "-q", "mlserver", "onnxruntime", "numpy"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            return f"{' '.join(step[:3])} failed: {done.stderr.strip().splitlines()[-1:]}"
    return None


def start_mlserver(model: Path, folder: Path) -> tuple[subprocess.Popen, str] | None:
    """MLServer from .bench/mlserver serving the same ONNX file, or None when not installed."""
    binary = MLSERVER_VENV / "bin" / "mlserver"
    if not binary.exists():
        return None
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
    model_settings = {
        "name": "bench",
        "implementation": "runtime.OnnxModel",
        "parameters": {"uri": str(model)},
    }
    (folder / "model-settings.json").write_text(json.dumps(model_settings))
    process = subprocess.Popen(
        [str(binary), "start", str(folder)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "mlserver.log", "wb"),  # noqa: SIM115
        env={**os.environ, "PYTHONPATH": str(folder)},
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-mlserver", action="store_true", help="skip the MLServer comparison")
    args = parser.parse_args()

    from local_serving.examples import register_logistic

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, FEATURES)).astype(np.float32)
    weights = rng.normal(size=FEATURES).round(3).tolist()
    body = json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "datatype": "FP32",
                    "shape": [1, FEATURES],
                    "data": x.ravel().tolist(),
                }
            ]
        }
    ).encode()
    tmp = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    try:
        model = Path(
            register_logistic(tmp / "ws", "bench", "1", weights, 0.1, aliases=["champion"])
        )
        rows = [bench_raw(model, x, args.requests)]
        process, url = start_local_serving(tmp / "ws")
        try:
            rows.append(
                bench_http(
                    "local_serving (HTTP/JSON)",
                    url,
                    "/v2/models/bench/infer",
                    body,
                    args.requests,
                    args.concurrency,
                )
            )
        finally:
            stop(process)
        failure = "--no-mlserver" if args.no_mlserver else install_mlserver()
        mlserver = None if failure else start_mlserver(model, tmp / "mlserver")
        if mlserver is None:
            print(f"MLServer: skipped ({failure or 'not installed'})")
        else:
            process, url = mlserver
            try:
                rows.append(
                    bench_http(
                        "MLServer (HTTP/JSON)",
                        url,
                        "/v2/models/bench/infer",
                        body,
                        args.requests,
                        args.concurrency,
                    )
                )
            finally:
                stop(process)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\nlogistic regression, {FEATURES} FP32 features, batch 1; {args.requests} requests;"
        f" throughput with {args.concurrency} connections; {os.cpu_count()} CPUs (shared)"
    )
    print(f"{'':28} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>9}")
    for row in rows:
        print(f"{row['name']:28} {row['p50_ms']:8.3f} {row['p99_ms']:8.3f} {row['rps']:9.0f}")
    raw, local = rows[0], rows[1]
    overhead = local["p50_ms"] - raw["p50_ms"]
    print(
        f"\nlocal_serving p50 overhead over raw: {overhead:.3f} ms (goal <= 1 ms): "
        f"{'met' if overhead <= 1.0 else 'NOT met'}"
    )
    if len(rows) > 2:
        ratio = local["rps"] / rows[2]["rps"]
        print(
            f"local_serving / MLServer throughput: {ratio:.2f}x (goal >= 1): "
            f"{'met' if ratio >= 1.0 else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
