"""The planted incident on fraud-detector: when each thing happens and how strongly.

Order in time: the challenger (v3) is deployed as a 10 % canary with a new
online-feature writer; six hours later the writer's cache leaks on host
serve-a (memory climbs, GC pauses grow, feature_fetch p99 goes over its 25 ms
budget); at `drop_at` its nightly refresh starts writing tablet `amount` in the
wrong currency unit into the cache every version reads, so `amount` shifts for
tablet rows only and tablet accuracy falls (the true risk follows the real
amount, the models see the inflated one). The live demo (`console.demo.live`)
keeps both effects going while v3 takes traffic, so a rollback ends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from backends.contracts import TimelineEvent
from console.demo.catalog import FRAUD
from console.demo.spec import DemoSpec

SHIFTED_FEATURE = "amount"
SHIFT_FACTOR = 6.0
SLICE = {"column": "device_type", "value": "tablet"}
STAGE_OVER_BUDGET = "feature_fetch"
STAGE_BUDGET_MS = FRAUD.latency_budget_ms[STAGE_OVER_BUDGET]
CANARY_VERSION = "3"
CHAMPION_VERSION = "2"
CANARY_WEIGHT = 10
PRESSURE_HOST = FRAUD.host
PRESSURE_RAMP = timedelta(hours=5)
INCIDENT_TITLE = "fraud-detector: accuracy down and feature_fetch over budget"
INCIDENT_SEVERITY = "P1"
INCIDENT_OPENED_AFTER_DROP = timedelta(hours=5, minutes=15)


@dataclass(frozen=True)
class IncidentPlan:
    """The instants of the planted incident, all derived from the spec's fixed end."""

    start: datetime
    end: datetime
    reference_end: datetime
    deploy_at: datetime
    pressure_at: datetime
    drop_at: datetime

    @classmethod
    def for_spec(cls, spec: DemoSpec) -> IncidentPlan:
        """Place the incident in the last two days of the spec's history."""
        promoted = FRAUD.version(CANARY_VERSION).promoted_before_end
        if promoted is None:
            raise ValueError("the canary version needs a promotion time")
        deploy_at = spec.end - promoted
        return cls(
            start=spec.start,
            end=spec.end,
            reference_end=spec.start + timedelta(days=spec.days / 2),
            deploy_at=deploy_at,
            pressure_at=deploy_at + timedelta(hours=6),
            drop_at=spec.end - timedelta(hours=24),
        )

    def pressure(self, ts: np.ndarray) -> np.ndarray:
        """Memory pressure on serve-a in [0, 1] at epoch seconds `ts`: 0, a ramp, then full."""
        ramp = (ts - self.pressure_at.timestamp()) / PRESSURE_RAMP.total_seconds()
        return np.clip(ramp, 0.0, 1.0)

    def ground_truth(self) -> dict[str, Any]:
        """The ground_truth.json document the analysis tests check their findings against."""
        return {
            "model": FRAUD.name,
            "deploy": {
                "at": iso(self.deploy_at),
                "version": CANARY_VERSION,
                "weight": CANARY_WEIGHT,
            },
            "reference_window": {"start": iso(self.start), "end": iso(self.reference_end)},
            "incident_window": {"start": iso(self.drop_at), "end": iso(self.end)},
            "shifted_feature": SHIFTED_FEATURE,
            "slice": dict(SLICE),
            "stage_over_budget": STAGE_OVER_BUDGET,
            "infra_metric": {"name": "memory_used_bytes", "labels": {"host": PRESSURE_HOST}},
            "first_layer": "model",
            "drop_at": iso(self.drop_at),
        }

    def shift(self, frame: pd.DataFrame, ts: np.ndarray) -> np.ndarray:
        """Apply the tablet unit bug in place; returns the mask of rows it touched."""
        on_slice = frame[SLICE["column"]].isin((SLICE["value"],)).to_numpy()
        hit = on_slice & (ts >= self.drop_at.timestamp())
        amounts = frame[SHIFTED_FEATURE].to_numpy(dtype=np.float64, copy=True)
        amounts[hit] = np.round(amounts[hit] * SHIFT_FACTOR, 2)
        frame[SHIFTED_FEATURE] = amounts
        return hit


def iso(at: datetime) -> str:
    """An ISO-8601 UTC instant with a Z suffix."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def timeline(plan: IncidentPlan) -> list[TimelineEvent]:
    """The recorded events of the incident: the deploy, the alerts as they fired, a note."""
    model = FRAUD.name
    split = f"v{CHAMPION_VERSION} {100 - CANARY_WEIGHT}% / v{CANARY_VERSION} {CANARY_WEIGHT}%"
    return [
        TimelineEvent(
            at=plan.deploy_at,
            kind="deploy",
            layer="model",
            summary=f"{model} v{CANARY_VERSION} deployed as challenger, canary {split}",
            model=model,
            source="deploy-bot",
            detail={"version": CANARY_VERSION, "weight": CANARY_WEIGHT, "alias": "challenger"},
        ),
        TimelineEvent(
            at=plan.pressure_at + timedelta(minutes=95),
            kind="alert",
            layer="infrastructure",
            summary=f"LatencyBudget firing: {model} {STAGE_OVER_BUDGET} p99 above its "
            f"{STAGE_BUDGET_MS:g} ms budget",
            model=model,
            source="alertmanager",
            detail={
                "alert": "LatencyBudget",
                "stage": STAGE_OVER_BUDGET,
                "budget_ms": STAGE_BUDGET_MS,
            },
        ),
        TimelineEvent(
            at=plan.pressure_at + timedelta(hours=3),
            kind="alert",
            layer="infrastructure",
            summary=f"HostMemoryHigh firing: {PRESSURE_HOST} memory above 80 %",
            model=None,
            source="alertmanager",
            detail={"alert": "HostMemoryHigh", "host": PRESSURE_HOST},
        ),
        TimelineEvent(
            at=plan.drop_at + timedelta(hours=1),
            kind="alert",
            layer="data",
            summary=f"FeatureDrift firing: {model} `{SHIFTED_FEATURE}` drifting",
            model=model,
            source="vigil-monitor",
            detail={"alert": "FeatureDrift", "feature": SHIFTED_FEATURE},
        ),
        TimelineEvent(
            at=plan.drop_at + timedelta(hours=5),
            kind="alert",
            layer="model",
            summary=f"AccuracyDrop firing: {model} accuracy down on labelled traffic",
            model=model,
            source="vigil-monitor",
            detail={"alert": "AccuracyDrop"},
        ),
        TimelineEvent(
            at=plan.drop_at + timedelta(hours=5, minutes=40),
            kind="note",
            layer="model",
            summary=(
                f"on-call: canary v{CANARY_VERSION} at {CANARY_WEIGHT} % since yesterday; "
                f"{PRESSURE_HOST} memory still climbing; holding the canary while we look"
            ),
            model=model,
            source="on-call",
        ),
    ]
