"""Which backends offer counts: the SQL log counts windows, Prometheus counts buckets."""

from __future__ import annotations

from pathlib import Path

from backends.capabilities import names, supports
from backends.contracts import SupportsBucketCounts, SupportsWindowCounts
from backends.embedded import EmbeddedBackend
from backends.prometheus import PrometheusMetrics
from backends.sql import SqlInferenceLog


def test_the_sql_log_counts_windows_and_the_embedded_log_does_not(tmp_path: Path) -> None:
    log = SqlInferenceLog(f"duckdb:///{tmp_path / 'log.duckdb'}", "{model}")
    embedded = EmbeddedBackend(str(tmp_path / "workspace"))
    try:
        assert supports(log, SupportsWindowCounts)
        assert "SupportsWindowCounts" in names(log)
        assert not supports(embedded, SupportsWindowCounts)
        assert not supports(log, SupportsBucketCounts)
    finally:
        log.close()
        embedded.close()


def test_prometheus_counts_buckets() -> None:
    metrics = PrometheusMetrics("http://127.0.0.1:9")
    try:
        assert supports(metrics, SupportsBucketCounts)
        assert not supports(metrics, SupportsWindowCounts)
    finally:
        metrics.close()
