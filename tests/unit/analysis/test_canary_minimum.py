"""The canary analysis keeps the minimum-sample rule: too few requests is inconclusive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from backends.contracts import Series
from console.analysis.samples import DEFAULT_MIN_SAMPLES
from runbooks.engine.conditions import evaluate
from runbooks.engine.environment import Environment

ERROR_RATE = {
    "name": "error-rate",
    "metric": "errors_total",
    "per": "requests_total",
    "window": "5m",
    "max": 0.02,
}


class Metrics:
    """A metric store whose window holds `requests` requests and `errors` errors."""

    def __init__(self, requests: float, errors: float) -> None:
        self.totals = {"requests_total": requests, "errors_total": errors}

    def query_range(
        self, name: str, labels: Any, start: datetime, end: datetime, step_s: int = 60
    ) -> list[Series]:
        value = self.totals[name]
        return [Series(name, dict(labels), np.array([start.timestamp()]), np.array([value]))]


def _env(tmp_path: Path, metrics: Metrics, minimum: int) -> Environment:
    return Environment(
        context="test",
        read_only=False,
        backend=lambda role: metrics,
        state_dir=tmp_path,
        min_samples=minimum,
    )


def test_an_error_rate_over_too_few_requests_is_inconclusive(tmp_path: Path) -> None:
    few = _env(tmp_path, Metrics(requests=12, errors=1), DEFAULT_MIN_SAMPLES)
    measured = evaluate(few, "fraud", ERROR_RATE)
    assert measured.verdict == "inconclusive" and measured.value is None
    assert f"12 requests_total < minimum {DEFAULT_MIN_SAMPLES}" in measured.detail
    enough = _env(tmp_path, Metrics(requests=5000, errors=10), DEFAULT_MIN_SAMPLES)
    assert evaluate(enough, "fraud", ERROR_RATE).verdict == "pass"
    failing = _env(tmp_path, Metrics(requests=5000, errors=500), DEFAULT_MIN_SAMPLES)
    assert evaluate(failing, "fraud", ERROR_RATE).verdict == "fail"


def test_the_console_hands_the_rule_to_the_engine(tmp_path: Path) -> None:
    from console.cli.runbook import environment
    from console.config import Context

    context = Context(name="t", specs={}, workspace=tmp_path)
    assert environment(context, assume_yes=True).min_samples == DEFAULT_MIN_SAMPLES
