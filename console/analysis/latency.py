"""The latency budget: per-stage p50 / p95 / p99 against a budget per stage and the SLO.

Percentiles of stages do not add: the p99 of the whole request is not the sum
of the stages' p99s (their tails rarely coincide). Shares of total are
therefore computed from means, which do add, and the Amdahl what-if uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from console.analysis.coverage import Coverage

NOT_ADDITIVE = (
    "percentiles of stages do not add: the end-to-end p99 is not the sum of the stage p99s; "
    "shares are computed from means, which do add"
)


@dataclass(frozen=True)
class StageLatency:
    """One stage: its percentiles, mean, budget and share of the mean total."""

    stage: str
    p50: float | None
    p95: float | None
    p99: float | None
    mean: float | None
    budget_ms: float | None
    share: float | None
    samples: int = 0

    @property
    def over_budget(self) -> bool:
        """Whether the stage's p99 exceeds its budget."""
        return self.budget_ms is not None and self.p99 is not None and self.p99 > self.budget_ms

    @property
    def budget_ratio(self) -> float | None:
        """p99 / budget (above 1 is over budget)."""
        if self.budget_ms is None or self.p99 is None or self.budget_ms <= 0:
            return None
        return self.p99 / self.budget_ms

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, with `over_budget` and `budget_ratio`."""
        return asdict(self) | {"over_budget": self.over_budget, "budget_ratio": self.budget_ratio}


@dataclass(frozen=True)
class WhatIf:
    """Amdahl: making one stage `speedup`× faster speeds the whole request by `end_to_end`×."""

    stage: str
    share: float
    speedup: float
    end_to_end: float

    def __str__(self) -> str:
        """`inference 2× faster → 1.29× end to end`."""
        return f"{self.stage} {self.speedup:g}× faster → {self.end_to_end:.2f}× end to end"


@dataclass(frozen=True)
class LatencyBudget:
    """Every stage against its budget, the SLO, and the stage most over budget."""

    stages: tuple[StageLatency, ...]
    slo_p99_ms: float | None
    end_to_end_p99: float | None
    sum_of_stage_p99: float | None
    budget_total_ms: float | None
    whatifs: tuple[WhatIf, ...] = field(default_factory=tuple)
    note: str = NOT_ADDITIVE
    insufficient: str = ""
    coverage: Coverage | None = None

    @property
    def over_budget(self) -> StageLatency | None:
        """The stage furthest over its budget (largest p99 / budget above 1), if any.

        None when the requests are too few to judge (`insufficient`).
        """
        if self.insufficient:
            return None
        over = [s for s in self.stages if s.over_budget]
        return max(over, key=lambda s: s.budget_ratio or 0.0) if over else None

    @property
    def slo_breached(self) -> bool | None:
        """Whether the end-to-end p99 is over the SLO (None when either is unknown)."""
        if self.slo_p99_ms is None or self.end_to_end_p99 is None:
            return None
        return self.end_to_end_p99 > self.slo_p99_ms

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        over = self.over_budget
        return {
            "stages": [stage.to_dict() for stage in self.stages],
            "slo_p99_ms": self.slo_p99_ms,
            "end_to_end_p99": self.end_to_end_p99,
            "slo_breached": self.slo_breached,
            "sum_of_stage_p99": self.sum_of_stage_p99,
            "budget_total_ms": self.budget_total_ms,
            "stage_over_budget": over.stage if over else None,
            "insufficient": self.insufficient,
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "whatifs": [asdict(w) | {"text": str(w)} for w in self.whatifs],
            "note": self.note,
        }


def amdahl(share: float, speedup: float) -> float:
    """End-to-end speedup when a part taking `share` of the time gets `speedup`× faster."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within [0, 1], got {share}")
    if speedup <= 0:
        raise ValueError(f"speedup must be positive, got {speedup}")
    return 1.0 / ((1.0 - share) + share / speedup)


def _percentiles(values: np.ndarray) -> tuple[float | None, ...]:
    """p50, p95, p99 and mean of the finite values, or Nones when there are none."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None, None, None
    p50, p95, p99 = np.percentile(finite, [50, 95, 99])
    return float(p50), float(p95), float(p99), float(finite.mean())


def latency_budget(
    samples: Mapping[str, np.ndarray],
    budget_ms: Mapping[str, float],
    *,
    slo_p99_ms: float | None = None,
    total: np.ndarray | None = None,
    speedup: float = 2.0,
) -> LatencyBudget:
    """Per-stage percentiles from per-request timings (ms), against the budget and SLO.

    `total` is the measured end-to-end latency per request; without it the
    end-to-end p99 is that of the per-request sum of the stages.
    """
    order = list(samples) + [s for s in budget_ms if s not in samples]
    stats = {
        stage: _percentiles(np.asarray(samples[stage], dtype=np.float64))
        if stage in samples
        else (None, None, None, None)
        for stage in order
    }
    means = {stage: values[3] for stage, values in stats.items() if values[3] is not None}
    mean_total = sum(means.values())
    stages = tuple(
        StageLatency(
            stage=stage,
            p50=stats[stage][0],
            p95=stats[stage][1],
            p99=stats[stage][2],
            mean=stats[stage][3],
            budget_ms=budget_ms.get(stage),
            share=(means[stage] / mean_total) if stage in means and mean_total > 0 else None,
            samples=int(np.isfinite(np.asarray(samples[stage], dtype=np.float64)).sum())
            if stage in samples
            else 0,
        )
        for stage in order
    )
    if total is None and samples:
        total = np.nansum(np.vstack([np.asarray(v, dtype=np.float64) for v in samples.values()]), 0)
    end_to_end = _percentiles(np.asarray(total, dtype=np.float64))[2] if total is not None else None
    return _assemble(stages, slo_p99_ms, end_to_end, budget_ms, speedup)


def budget_from_percentiles(
    p99_ms: Mapping[str, float],
    budget_ms: Mapping[str, float],
    *,
    slo_p99_ms: float | None = None,
    end_to_end_p99: float | None = None,
    speedup: float = 2.0,
) -> LatencyBudget:
    """The budget from p99s alone (what a metric store answers); shares use the p99s."""
    total = sum(p99_ms.values())
    order = list(p99_ms) + [s for s in budget_ms if s not in p99_ms]
    stages = tuple(
        StageLatency(
            stage=stage,
            p50=None,
            p95=None,
            p99=p99_ms.get(stage),
            mean=None,
            budget_ms=budget_ms.get(stage),
            share=p99_ms[stage] / total if stage in p99_ms and total > 0 else None,
        )
        for stage in order
    )
    note = NOT_ADDITIVE + " (only p99s were available: shares here are of the p99 sum)"
    result = _assemble(stages, slo_p99_ms, end_to_end_p99, budget_ms, speedup)
    return LatencyBudget(**{**result.__dict__, "note": note})


def _assemble(
    stages: Sequence[StageLatency],
    slo: float | None,
    end_to_end: float | None,
    budget_ms: Mapping[str, float],
    speedup: float,
) -> LatencyBudget:
    """Sum the p99s (for display only), add the what-ifs, and build the result."""
    p99s = [s.p99 for s in stages if s.p99 is not None]
    whatifs = tuple(
        WhatIf(s.stage, s.share, speedup, amdahl(s.share, speedup))
        for s in stages
        if s.share is not None and s.share > 0
    )
    return LatencyBudget(
        stages=tuple(stages),
        slo_p99_ms=slo,
        end_to_end_p99=end_to_end,
        sum_of_stage_p99=float(sum(p99s)) if p99s else None,
        budget_total_ms=float(sum(budget_ms.values())) if budget_ms else None,
        whatifs=whatifs,
    )


@dataclass(frozen=True)
class Breach:
    """A sustained breach: the value stayed over the threshold from `start` to `end`."""

    start: float
    end: float
    duration_s: float
    threshold: float
    peak: float


def sustained_breach(
    timestamps: np.ndarray, values: np.ndarray, threshold: float, duration_s: float
) -> Breach | None:
    """The first run of points all over `threshold` lasting at least `duration_s` (rule L3).

    A run of points sampled every `step` seconds covers (last − first + step)
    seconds, so five one-minute points over the line make five minutes.
    """
    ts = np.asarray(timestamps, dtype=np.float64)
    vs = np.asarray(values, dtype=np.float64)
    if ts.size == 0:
        return None
    step = float(np.median(np.diff(ts))) if ts.size > 1 else 0.0
    over = vs > threshold
    start_index: int | None = None
    for index, flag in enumerate(over):
        if flag and start_index is None:
            start_index = index
        if start_index is not None and (not flag or index == over.size - 1):
            last = index if flag else index - 1
            span = ts[last] - ts[start_index] + step
            if span >= duration_s:
                peak = float(vs[start_index : last + 1].max())
                return Breach(float(ts[start_index]), float(ts[last]), span, threshold, peak)
            start_index = None
    return None


def rollback_rule(
    timestamps: np.ndarray,
    p99: np.ndarray,
    baseline_p99: float,
    *,
    factor: float = 2.0,
    duration_s: float = 300.0,
) -> Breach | None:
    """The automatic rollback rule: p99 over `factor`× its baseline for `duration_s`."""
    return sustained_breach(timestamps, p99, factor * baseline_p99, duration_s)


def budget_shares(budget_ms: Mapping[str, float]) -> dict[str, float]:
    """Each stage's share of the total budget (the split an SLO is divided into)."""
    total = float(sum(budget_ms.values()))
    if total <= 0:
        raise ValueError("the budget must have a positive total")
    return {stage: value / total for stage, value in budget_ms.items()}
