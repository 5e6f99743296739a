"""Fourteen days of per-minute metrics and the sampled inference log, as frames.

Metrics follow docs/workspace.md: `stage_latency_ms` {model, version, stage,
quantile} per minute, `requests_total` and `errors_total` (counts per minute)
{model, version}, and host metrics `cpu_utilization` (0–1), `memory_used_bytes`,
`queue_depth` and `gc_pause_ms` {host}. Per-row stage timings in the log are
drawn from the same per-minute curves, so the two views agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backends.contracts import STAGES
from console.demo.catalog import FRAUD, HOSTS, ModelPlan
from console.demo.incident import (
    CANARY_VERSION,
    CANARY_WEIGHT,
    CHAMPION_VERSION,
    STAGE_OVER_BUDGET,
    IncidentPlan,
)

QUANTILES: dict[str, float] = {"0.5": 1.0, "0.95": 1.8, "0.99": 2.4}
Z99 = 2.326
CANARY_INFERENCE_FACTOR = 1.2


@dataclass(frozen=True)
class Minutes:
    """The minute grid of the history (epoch seconds) and its diurnal traffic shape."""

    ts: np.ndarray
    diurnal: np.ndarray

    @classmethod
    def of(cls, plan: IncidentPlan) -> Minutes:
        """Every minute from plan.start to plan.end."""
        ts = np.arange(plan.start.timestamp(), plan.end.timestamp(), 60.0)
        return cls(ts, diurnal(ts))


def diurnal(ts: np.ndarray) -> np.ndarray:
    """The daily traffic shape at epoch seconds `ts` (1 on average, peak mid-afternoon UTC)."""
    hours = (ts % 86_400) / 3600.0
    return 1.0 + 0.55 * np.sin(2 * np.pi * (hours - 9.0) / 24.0)


def version_shares(
    plan: ModelPlan, incident: IncidentPlan, ts: np.ndarray
) -> dict[str, np.ndarray]:
    """Traffic share of each serving version at `ts`; fraud's canary starts at the deploy."""
    if plan.name != FRAUD.name:
        return {v: np.full(len(ts), w / 100.0) for v, w in plan.traffic.items() if w > 0}
    canary = np.where(ts >= incident.deploy_at.timestamp(), CANARY_WEIGHT / 100.0, 0.0)
    return {CHAMPION_VERSION: 1.0 - canary, CANARY_VERSION: canary}


def stage_p50(
    plan: ModelPlan, version: str, stage: str, pressure: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per-minute median latency of one stage, with jitter and the incident's effects."""
    base = plan.stage_p50_ms[stage] * (1 + 0.06 * rng.standard_normal(len(pressure)))
    if stage == "inference" and version == CANARY_VERSION and plan.name == FRAUD.name:
        base = base * CANARY_INFERENCE_FACTOR
    if stage == STAGE_OVER_BUDGET:
        base = base * (1 + 1.5 * pressure)
    if stage == "inference":
        base = base * (1 + 0.15 * pressure)
    return np.maximum(base, 0.05)


def tail_ratio(stage: str, pressure: np.ndarray) -> np.ndarray:
    """p99 / p50 of a stage: 2.4 normally, much heavier for feature_fetch under pressure."""
    ratio = np.full(len(pressure), QUANTILES["0.99"])
    if stage == STAGE_OVER_BUDGET:
        ratio = ratio * (1 + 1.6 * pressure**1.5)
    return ratio


def model_metrics(
    plan: ModelPlan, incident: IncidentPlan, minutes: Minutes, seed: int
) -> Iterator[pd.DataFrame]:
    """Frames of points (name, labels, ts, value) for every serving version of `plan`."""
    rng = np.random.default_rng([seed, 101, len(plan.name)])
    pressure = (
        incident.pressure(minutes.ts) if plan.host == FRAUD.host else np.zeros(len(minutes.ts))
    )
    for version, share in version_shares(plan, incident, minutes.ts).items():
        live = share > 0
        ts = minutes.ts[live]
        load = plan.requests_per_min * minutes.diurnal[live] * share[live]
        requests = rng.poisson(load).astype(np.float64)
        error_rate = 0.001 + 0.02 * pressure[live] ** 3
        errors = rng.binomial(requests.astype(np.int64), error_rate).astype(np.float64)
        base = {"model": plan.name, "version": version}
        yield _points("requests_total", base, ts, requests)
        yield _points("errors_total", base, ts, errors)
        for stage in STAGES:
            p50 = stage_p50(plan, version, stage, pressure[live], rng)
            p99 = p50 * tail_ratio(stage, pressure[live])
            p95 = p50 * np.exp(np.log(p99 / p50) * 1.645 / Z99)
            for label, values in (("0.5", p50), ("0.95", p95), ("0.99", p99)):
                labels = {**base, "stage": stage, "quantile": label}
                yield _points("stage_latency_ms", labels, ts, np.round(values, 3))


def host_metrics(incident: IncidentPlan, minutes: Minutes, seed: int) -> Iterator[pd.DataFrame]:
    """CPU, memory, queue depth and GC pauses per host; serve-a carries the memory leak."""
    rng = np.random.default_rng([seed, 202])
    for host, capacity in HOSTS.items():
        n = len(minutes.ts)
        pressure = incident.pressure(minutes.ts) if host == FRAUD.host else np.zeros(n)
        values = host_values(capacity, pressure, minutes.diurnal, rng)
        for name, column in values.items():
            yield _points(name, {"host": host}, minutes.ts, column)


def host_values(
    capacity: float, pressure: np.ndarray, diurnal: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-minute host metrics under `pressure` (0–1); the live driver writes the same curves."""
    n = len(pressure)
    share = 0.58 + 0.03 * diurnal + 0.005 * rng.standard_normal(n)
    share = share + (0.95 - share) * pressure
    cpu = 0.25 + 0.12 * diurnal + 0.2 * pressure + 0.02 * rng.standard_normal(n)
    gc = 5.0 + 2.0 * diurnal + 110.0 * pressure**2 + rng.gamma(2.0, 0.8, n)
    queue = rng.poisson(1.5 + diurnal + 24.0 * pressure**2).astype(np.float64)
    return {
        "memory_used_bytes": np.round(share * capacity),
        "cpu_utilization": np.round(np.clip(cpu, 0, 1), 4),
        "gc_pause_ms": np.round(gc, 2),
        "queue_depth": queue,
    }


def _points(name: str, labels: dict[str, str], ts: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """One series as a points frame; every row shares the same labels dict."""
    return pd.DataFrame(
        {
            "name": name,
            "labels": pd.Series([labels] * len(ts), dtype=object),
            "ts": ts,
            "value": values,
        }
    )
