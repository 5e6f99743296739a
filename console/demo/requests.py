"""The sampled inference log of one model: features, real scores, stage timings, late labels.

Rows are logged without a label; each label arrives some hours after its
request and is attached with `add_labels`, so requests of the last hours
still have none. Each row carries `sample_rate`, the share of the history's
requests that were logged, so a window that also holds live rows (logged in
full) weighs both alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backends.contracts import STAGES
from console.demo.catalog import FRAUD, ModelPlan
from console.demo.history import Minutes, stage_p50, tail_ratio, version_shares
from console.demo.incident import IncidentPlan
from console.demo.scoring import score
from console.demo.synthetic import GENERATORS

HOUR_S = 3600.0


@dataclass(frozen=True)
class LoggedRequests:
    """Rows to append (label NaN) and the labels that have arrived by the end."""

    rows: pd.DataFrame
    labels: pd.DataFrame


def request_log(
    plan: ModelPlan,
    incident: IncidentPlan,
    minutes: Minutes,
    n_rows: int,
    seed: int,
    artifacts: dict[str, Path],
) -> LoggedRequests:
    """n_rows logged requests over the history, scored by the real artifact of their version."""
    rng = np.random.default_rng([seed, 303, len(plan.name)])
    weights = minutes.diurnal / minutes.diurnal.sum()
    minute = np.sort(rng.choice(len(minutes.ts), size=n_rows, p=weights))
    ts = np.round(minutes.ts[minute] + rng.random(n_rows) * 60.0, 3)
    ts.sort()
    names, chosen = _versions(plan, incident, ts, rng)
    features, truth = GENERATORS[plan.name]
    frame = features(rng, n_rows)
    target = truth(frame, rng)
    if plan.name == FRAUD.name:
        incident.shift(frame, ts)
    scores = np.empty(n_rows)
    for index, version in enumerate(names):
        mask = chosen == index
        scores[mask] = score(plan, artifacts[version], frame.loc[mask])
    scores = np.round(scores, 6)
    classifier = plan.task == "binary-classification"
    prediction = (scores >= 0.5).astype(np.int64) if classifier else scores  # as served
    prefix = plan.name[:2]
    rows = pd.DataFrame(
        {
            "ts": pd.to_datetime(np.round(ts * 1000).astype(np.int64), unit="ms", utc=True),
            "request_id": [f"{prefix}-{i:08d}" for i in range(n_rows)],
            "version": np.asarray(names, dtype=object)[chosen],
        }
    )
    rows = pd.concat([rows, frame], axis=1)
    for spec in plan.categorical:
        rows[spec.name] = rows[spec.name].astype(str)  # as local_serving logs them: plain strings
    rows["score"] = scores
    rows["prediction"] = prediction
    rows["sample_rate"] = round(n_rows / (plan.requests_per_min * minutes.diurnal.sum()), 6)
    rows["label"] = np.nan
    delay = plan.label_delay_h * HOUR_S * (0.5 + rng.exponential(1.0, n_rows))
    arrived = ts + delay < incident.end.timestamp()
    pressure = incident.pressure(ts) if plan.host == FRAUD.host else np.zeros(n_rows)
    for stage in STAGES:
        rows[f"{stage}_ms"] = _stage_times(plan, names, chosen, stage, pressure, rng)
    labels = pd.DataFrame({"request_id": rows["request_id"][arrived], "label": target[arrived]})
    return LoggedRequests(rows, labels.reset_index(drop=True))


def _versions(
    plan: ModelPlan, incident: IncidentPlan, ts: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """The serving versions and, per request, the index of the one that served it."""
    shares = version_shares(plan, incident, ts)
    names = list(shares)
    cumulative = np.cumsum(np.stack([shares[name] for name in names]), axis=0)
    draw = rng.random(len(ts))
    index = np.minimum((draw[None, :] >= cumulative).sum(axis=0), len(names) - 1)
    return names, index


def _stage_times(
    plan: ModelPlan,
    names: list[str],
    chosen: np.ndarray,
    stage: str,
    pressure: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per-request milliseconds of one stage: log-normal with the minute's median and p99."""
    times = np.empty(len(chosen))
    for index, version in enumerate(names):
        mask = chosen == index
        p50 = stage_p50(plan, version, stage, pressure[mask], rng)
        sigma = np.log(tail_ratio(stage, pressure[mask])) / 2.326
        times[mask] = p50 * np.exp(sigma * rng.standard_normal(int(mask.sum())))
    return np.round(times, 3)
