"""The prometheus metric store against a real Prometheus scraping a live local_serving."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from backends.contracts import BackendError
from backends.embedded import EmbeddedBackend
from backends.prometheus import PrometheusMetrics
from console.analysis.drift.psi import psi_from_counts
from tests.integration.backends import launch
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server, running
from tests.integration.serving.helpers import build_workspace, start_server, stop_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROWS_PER_CALL = 20
VIGIL = (sys.executable, "-m", "console", "--context", "prom")


@dataclass
class Scraped:
    """A local_serving under traffic, the Prometheus scraping it, and the two traffic windows."""

    prometheus: Server
    workspace: Path
    reference: tuple[datetime, datetime]
    current: tuple[datetime, datetime]


def _send(http: httpx.Client, rng: np.random.Generator, shift: float, calls: int) -> None:
    """`calls` requests of ROWS_PER_CALL rows, features ~ N(shift, 1)."""
    for _ in range(calls):
        rows = rng.normal(shift, 1.0, size=(ROWS_PER_CALL, 3)).round(4)
        body = {
            "inputs": [
                {
                    "name": "input",
                    "datatype": "FP32",
                    "shape": list(rows.shape),
                    "data": rows.ravel().tolist(),
                }
            ]
        }
        answer = http.post("/v2/models/fraud/infer", json=body)
        assert answer.status_code == 200, answer.text


def _scraped_until(prometheus: Server, at: datetime) -> None:
    """Wait (bounded) until Prometheus holds a scrape after `at`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{prometheus.url}/api/v1/query",
            params={"query": "timestamp(up)", "time": f"{time.time():.3f}"},
            timeout=5,
        ).json()
        stamps = [float(s["value"][1]) for s in answer["data"]["result"]]
        if stamps and min(stamps) > at.timestamp() + 0.5:
            return
        time.sleep(0.3)
    raise AssertionError("prometheus did not scrape in time")


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    """Two windows of traffic: features ~ N(0, 1), then ~ N(0.8, 1); every request logged."""
    root = tmp_path_factory.mktemp("prom-serving")
    workspace = build_workspace(root / "workspace")
    server = start_server(
        workspace, "--all-versions", "--sample-rate", "1", "--flush-interval", "0.2"
    )
    try:
        server.http.put(
            "/admin/models/fraud/traffic", json={"weights": {"1": 100}}, headers=server.admin
        ).raise_for_status()
        target = server.url.removeprefix("http://")
        with running(lambda: launch.prometheus(root / "prometheus", [target])) as prometheus:
            rng = np.random.default_rng(7)
            _scraped_until(prometheus, datetime.now(UTC))
            time.sleep(2.0)  # scrapes of the empty histograms before any traffic
            t0 = datetime.now(UTC)
            _send(server.http, rng, 0.0, 60)
            time.sleep(2.5)
            t1 = datetime.now(UTC)
            time.sleep(2.5)  # a window's increase starts at its first scrape: one before traffic
            _send(server.http, rng, 0.8, 60)
            time.sleep(2.5)
            t2 = datetime.now(UTC)
            _scraped_until(prometheus, t2)
            time.sleep(1.0)  # the inference log's last flush
            yield Scraped(prometheus, workspace, (t0 - timedelta(seconds=2), t1), (t1, t2))
    finally:
        stop_server(server)


def _instant(prometheus: Server, promql: str, at: datetime) -> list[dict]:
    """An instant query's result, asked directly of Prometheus."""
    answer = httpx.get(
        f"{prometheus.url}/api/v1/query",
        params={"query": promql, "time": f"{at.timestamp():.3f}"},
        timeout=10,
    ).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_vigil_latency_p99_equals_an_independent_promql_query(
    scraped: Scraped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    end = scraped.current[1].replace(microsecond=0) + timedelta(seconds=1)
    start = end - timedelta(seconds=60)
    empty_log = build_workspace(tmp_path / "empty-log")  # the models, and no logged request
    install_context(
        tmp_path,
        monkeypatch,
        "prom",
        {
            "registry": {"type": "embedded", "workspace": str(scraped.workspace)},
            "inference_log": {"type": "embedded", "workspace": str(empty_log)},
            "metrics": {"type": "prometheus", "url": scraped.prometheus.url},
        },
    )
    window = ["--start", start.isoformat(), "--end", end.isoformat()]
    done = subprocess.run(
        [*VIGIL, "latency", "--model", "fraud", *window, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stages = {row["stage"]: row for row in json.loads(done.stdout)["stages"]}
    checked = 0
    for stage in ("parse", "inference", "postprocess", "serialize"):
        promql = (
            "histogram_quantile(0.99, sum by (le) (increase("
            f'vigil_stage_latency_seconds_bucket{{model="fraud",stage="{stage}"}}[60s])))'
        )
        (sample,) = _instant(scraped.prometheus, promql, end)
        expected_ms = float(sample["value"][1]) * 1000
        assert stages[stage]["p99"] == pytest.approx(expected_ms, rel=1e-6), stage
        checked += 1
    assert checked == 4


def _logged_counts(workspace: Path, feature: str, edges: tuple[float, ...], window) -> np.ndarray:
    """The same requests' logged values counted into the histogram's buckets (le = upper edge)."""
    log = EmbeddedBackend(str(workspace))
    try:
        frame: pd.DataFrame = log.window("fraud", window[0], window[1], columns=[feature])
    finally:
        log.close()
    values = frame[feature].to_numpy(dtype=np.float64)
    codes = np.searchsorted(np.asarray(edges), values, side="left")  # value <= le
    return np.bincount(codes, minlength=len(edges) + 1).astype(np.float64)


def test_drift_from_buckets_agrees_with_drift_from_logged_values(scraped: Scraped) -> None:
    metrics = PrometheusMetrics(scraped.prometheus.url)
    try:
        log = EmbeddedBackend(str(scraped.workspace))
        try:
            features = [c for c in log.window("fraud", *scraped.reference).columns if c[:1] == "x"]
        finally:
            log.close()
        assert features, "the log holds no feature column"
        feature = features[0]
        labels = {"model": "fraud", "feature": feature}
        reference = metrics.bucket_counts("feature_value", labels, *scraped.reference)
        current = metrics.bucket_counts("feature_value", labels, *scraped.current)
    finally:
        metrics.close()
    assert reference.insufficient == "" and current.insufficient == ""
    assert reference.edges == current.edges and len(reference.edges) >= 5
    logged_ref = _logged_counts(scraped.workspace, feature, reference.edges, scraped.reference)
    logged_cur = _logged_counts(scraped.workspace, feature, current.edges, scraped.current)
    for logged, counted in ((logged_ref, reference), (logged_cur, current)):
        assert logged.sum() >= 0.95 * 60 * ROWS_PER_CALL  # sample rate 1: (nearly) every row
        # increase() extrapolates to the window's edges: totals grow (by up to a scrape's
        # share of the window), the shares PSI uses do not
        assert logged.sum() * 0.9 <= sum(counted.counts) <= logged.sum() * 2
    from_buckets = psi_from_counts(np.asarray(reference.counts), np.asarray(current.counts))
    from_logged = psi_from_counts(logged_ref, logged_cur)
    assert from_logged > 0.2  # the shift is real drift
    assert from_buckets == pytest.approx(from_logged, abs=0.02), (from_buckets, from_logged)
    for counted, logged in ((reference, logged_ref), (current, logged_cur)):
        shares = np.asarray(counted.counts) / np.sum(counted.counts)
        assert np.abs(shares - logged / logged.sum()).max() < 0.02, (shares, logged)


def test_a_window_shorter_than_two_scrapes_is_insufficient(scraped: Scraped) -> None:
    metrics = PrometheusMetrics(scraped.prometheus.url)
    try:
        assert metrics.scrape_interval_s() == 1.0
        end = scraped.current[1]
        short = metrics.bucket_counts(
            "feature_value", {"model": "fraud"}, end - timedelta(seconds=1.5), end
        )
        assert short.insufficient and "two scrapes" in short.insufficient
        assert short.counts == ()
        assert "requests_total" in metrics.metric_names()
    finally:
        metrics.close()


def test_a_stopped_prometheus_is_a_backend_error(tmp_path: Path) -> None:
    server = launch.prometheus(tmp_path / "prometheus", ["127.0.0.1:9"])
    metrics = PrometheusMetrics(server.url, scrape_interval_s=1)
    try:
        now = datetime.now(UTC)
        assert metrics.query_range("requests_total", {}, now - timedelta(minutes=1), now) == []
        server.stop()
        with pytest.raises(BackendError, match="cannot reach"):
            metrics.query_range("requests_total", {}, now - timedelta(minutes=1), now)
    finally:
        metrics.close()
        server.stop()


def _vigil_drift(*argv: str) -> tuple[int, dict, str]:
    """`vigil --context prom drift ... --json` in a subprocess: exit code, JSON and stderr."""
    done = subprocess.run(
        [*VIGIL, "drift", "--model", "fraud", *argv, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def _prom_context(scraped: Scraped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Context `prom`: the served workspace's registry and log, metrics from Prometheus."""
    embedded = {"type": "embedded", "workspace": str(scraped.workspace)}
    install_context(
        tmp_path,
        monkeypatch,
        "prom",
        {
            "registry": embedded,
            "inference_log": embedded,
            "features": embedded,
            "metrics": {"type": "prometheus", "url": scraped.prometheus.url},
        },
    )


def _span(window: tuple[datetime, datetime]) -> str:
    """START/END as --reference-window takes it."""
    return f"{window[0].isoformat()}/{window[1].isoformat()}"


def test_vigil_drift_from_buckets_agrees_with_the_logged_values(
    scraped: Scraped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prom_context(scraped, tmp_path, monkeypatch)
    current = ["--start", scraped.current[0].isoformat(), "--end", scraped.current[1].isoformat()]
    code, table, stderr = _vigil_drift(
        "--from-buckets",
        *current,
        "--reference-window",
        _span(scraped.reference),
        "--fail-on",
        "act",
    )
    assert code == 1, stderr  # the shift is over `act`: --fail-on says so
    assert table["tests"] == "buckets" and "from histogram buckets" in table["source"]
    rows = {row["feature"]: row for row in table["features"]}
    assert set(rows) == {"x0", "x1", "x2", "score"}
    for name, row in rows.items():
        column = "score" if name == "score" else name
        histogram = "vigil_prediction_score" if name == "score" else "vigil_feature_value"
        labels = f'model="fraud",feature="{name}"' if name != "score" else 'model="fraud"'
        edges = sorted(
            float(s["metric"]["le"])
            for s in _instant(
                scraped.prometheus, f"{histogram}_bucket{{{labels}}}", scraped.current[1]
            )
            if s["metric"]["le"] != "+Inf" and s["metric"].get("version") == "1"
        )
        assert len(row["labels"]) == len(edges) + 1, name  # one bin per bucket, +Inf last
        logged_ref = _logged_counts(scraped.workspace, column, tuple(edges), scraped.reference)
        logged_cur = _logged_counts(scraped.workspace, column, tuple(edges), scraped.current)
        from_logged = psi_from_counts(logged_ref, logged_cur)
        assert row["psi"] == pytest.approx(from_logged, abs=0.02), (name, row["psi"], from_logged)
        assert row["ks"] is None and row["wasserstein"] is None  # not from counts
        assert row["n_current"] == pytest.approx(logged_cur.sum(), rel=0.5)
    assert all(rows[f]["status"] == "act" for f in ("x0", "x1", "x2"))


def test_vigil_drift_from_buckets_over_a_window_under_two_scrapes_is_insufficient(
    scraped: Scraped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prom_context(scraped, tmp_path, monkeypatch)
    end = scraped.current[1]
    short = ["--start", (end - timedelta(seconds=1.5)).isoformat(), "--end", end.isoformat()]
    code, table, stderr = _vigil_drift(
        "--from-buckets", *short, "--reference-window", _span(scraped.reference)
    )
    assert code == 0, stderr
    assert {row["status"] for row in table["features"]} == {"insufficient"}
    assert all("two scrapes" in row["note"] and row["psi"] is None for row in table["features"])
    code, _, stderr = _vigil_drift("--from-buckets", "--slice", "x0=1", *short)
    assert code == 2 and "--from-buckets goes without" in stderr


def _instant_text(moment: datetime) -> str:
    """An instant as the drift screen's window takes it (`...Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_the_drift_screen_computes_from_buckets_on_a_prometheus_context(
    scraped: Scraped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.config import resolve_context
    from console.tui.screens.drift import DriftScreen
    from tests.tui.helpers import make_app, screen_text, settle

    _prom_context(scraped, tmp_path, monkeypatch)
    context = resolve_context(argparse.Namespace(context="prom"))
    window = f"{_instant_text(scraped.current[0])}..{_instant_text(scraped.current[1])}"
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *f"drift fraud {window}", "enter")
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, DriftScreen):
                break
        assert isinstance(app.screen, DriftScreen)
        await pilot.press("b", "m", "m")  # the previous window; quantile → evidently → buckets
        for _ in range(400):
            await settle(pilot)
            result = getattr(app.screen, "result", None)
            if result is not None and result.request.mode == "buckets":
                break
            await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, DriftScreen) and screen.result is not None
        result = screen.result
        assert result.request.reference == "previous" and result.table.tests == "buckets"
        text = screen_text(app)
        assert "from histogram buckets: no KS" in text and "--from-buckets" in text
    rows = {row.feature: row for row in result.table.features}
    assert set(rows) == {"x0", "x1", "x2", "score"}
    assert all(row.status == "act" and row.ks is None for row in rows.values())
    earlier = result.request.reference_window(result.start, result.end)
    assert earlier is not None
    span = f"{earlier[0].isoformat()}/{earlier[1].isoformat()}"
    bounds = ["--start", result.start.isoformat(), "--end", result.end.isoformat()]
    code, table, stderr = _vigil_drift("--from-buckets", *bounds, "--reference-window", span)
    assert code == 0, stderr
    assert {r["feature"]: r["psi"] for r in table["features"]} == pytest.approx(
        {name: row.psi for name, row in rows.items()}, rel=1e-9
    )
