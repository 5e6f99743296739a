"""A real Prometheus scrapes /metrics; histogram_quantile over it gives each stage's p99."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BODY = {
    "inputs": [
        {"name": "input", "datatype": "FP32", "shape": [2, 3], "data": [0.1, 0.2, 0.3, 1, 2, 3]}
    ]
}
STAGES = ("parse", "inference", "postprocess", "serialize")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus(server, tmp_path_factory) -> Iterator[str]:
    """Prometheus on 127.0.0.1 scraping the server every second, with a temp config and data dir."""
    binary = shutil.which("prometheus")
    assert binary, "the Debian package `prometheus` must be installed (apt-get install prometheus)"
    folder: Path = tmp_path_factory.mktemp("prometheus")
    target = server.url.removeprefix("http://")
    (folder / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: local_serving\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={folder / 'prometheus.yml'}",
         f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "prometheus.log", "wb"),  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/-/ready").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("prometheus did not become ready")
    yield url
    process.terminate()
    process.wait(30)


def _query(prometheus: str, promql: str) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=10).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def _send_traffic(server, requests: int = 300) -> None:
    """`requests` inferences of two rows each to fraud v1; every test sends its own."""
    for _ in range(requests):
        assert server.http.post("/v2/models/fraud/versions/1/infer", json=BODY).status_code == 200


def _scraped(prometheus: str, promql: str, at_least: float) -> float:
    """The summed value of `promql` once Prometheus has scraped at least `at_least`."""
    deadline = time.monotonic() + 30
    total = 0.0
    while time.monotonic() < deadline:
        total = sum(float(s["value"][1]) for s in _query(prometheus, promql))
        if total >= at_least:
            return total
        time.sleep(0.5)
    raise AssertionError(f"prometheus never scraped {at_least} for {promql} (last {total})")


def _exposed(exposition: str, prefix: str) -> float:
    """The summed value of every /metrics sample line starting with `prefix`."""
    return sum(
        float(line.split()[-1]) for line in exposition.splitlines() if line.startswith(prefix)
    )


def _buckets(exposition: str, stage: str) -> list[tuple[float, float]]:
    """(le, cumulative count) of one stage's histogram for fraud v1, from /metrics text."""
    prefix = f'vigil_stage_latency_seconds_bucket{{model="fraud",version="1",stage="{stage}",le="'
    found = []
    for line in exposition.splitlines():
        if line.startswith(prefix):
            le = line[len(prefix) :].split('"', 1)[0]
            found.append((math.inf if le == "+Inf" else float(le), float(line.split()[-1])))
    return found


def _prometheus_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """histogram_quantile's interpolation, done by hand on the same buckets."""
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - below) / (cumulative - below)
        lower, below = upper, cumulative
    raise AssertionError("rank beyond the last bucket")


def test_prometheus_computes_the_stage_p99(server, prometheus):
    _send_traffic(server)
    exposition = server.http.get("/metrics").text
    served = sum(c for le, c in _buckets(exposition, "inference") if math.isinf(le))
    assert served >= 300
    _scraped(prometheus, 'vigil_requests_total{model="fraud",version="1"}', served)
    for stage in STAGES:
        promql = (
            "histogram_quantile(0.99, sum by (le) "
            f'(vigil_stage_latency_seconds_bucket{{model="fraud",version="1",stage="{stage}"}}))'
        )
        (sample,) = _query(prometheus, promql)
        p99 = float(sample["value"][1])
        expected = _prometheus_quantile(0.99, _buckets(exposition, stage))
        assert 0 < p99 < 5.0
        assert p99 == pytest.approx(expected, rel=1e-9), stage


def test_feature_and_score_histograms_are_scraped(server, prometheus):
    _send_traffic(server)
    exposition = server.http.get("/metrics").text
    scored = _exposed(exposition, 'vigil_prediction_score_count{model="fraud"')
    assert scored >= 600
    assert _scraped(prometheus, 'vigil_prediction_score_count{model="fraud"}', scored) >= 600
    _scraped(prometheus, 'vigil_feature_value_count{model="fraud",feature="x0"}', scored)
    features = _query(prometheus, 'vigil_feature_value_bucket{model="fraud",feature="x0"}')
    assert {s["metric"]["le"] for s in features} >= {"0", "+Inf"}


def test_build_info_reports_the_installed_runtimes(server, prometheus):
    _scraped(prometheus, "vigil_serving_build_info", 1)
    (build,) = _query(prometheus, "vigil_serving_build_info")
    assert build["metric"]["onnxruntime"] == metadata.version("onnxruntime")
    assert build["metric"]["torch"] == metadata.version("torch")
