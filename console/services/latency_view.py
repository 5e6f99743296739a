"""The latency screen's data: a window's stage budget, a what-if, each stage's p99 over time.

The budget comes from `console.analysis.workspace.model_latency` with the
stages and speed-up `vigil latency` uses, so the screen and
`vigil latency --model M --window W --json` agree number for number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command

if TYPE_CHECKING:
    from console.analysis.latency import LatencyBudget, StageLatency

DEFAULT_SPEEDUP = 2.0
PLOT_POINTS = 60


@dataclass(frozen=True)
class StageSeries:
    """One stage's p99 per time bucket (epoch seconds), for the plot under the table."""

    stage: str
    timestamps: np.ndarray
    p99: np.ndarray


@dataclass(frozen=True)
class LatencyView:
    """A window's stage budget, the per-stage p99 series and the headless twin's command."""

    window: AnalysisWindow
    budget: LatencyBudget
    series: tuple[StageSeries, ...]
    twin: str


@dataclass(frozen=True)
class WhatIfAnswer:
    """Amdahl's answer for one stage made `speedup`× faster."""

    stage: str
    share: float
    speedup: float
    end_to_end: float

    def text(self) -> str:
        """`feature_fetch 2× faster → 1.35× end to end (52% of the mean)`."""
        return (
            f"{self.stage} {self.speedup:g}× faster → {self.end_to_end:.2f}× end to end "
            f"({self.share:.0%} of the mean)"
        )


class WhatIfError(ValueError):
    """A what-if that cannot be answered: unknown stage, bad speed-up, no share measured."""


def compute_latency(
    source: Sources, window: AnalysisWindow, speedup: float = DEFAULT_SPEEDUP
) -> LatencyView:
    """The budget table of the window and each stage's p99 per bucket."""
    from backends.contracts import STAGES
    from console.analysis.workspace import model_latency

    budget = model_latency(source, window.model, window.start, window.end, STAGES, speedup=speedup)
    extra = [] if speedup == DEFAULT_SPEEDUP else ["--speedup", f"{speedup:g}"]
    return LatencyView(
        window=window,
        budget=budget,
        series=stage_p99_series(source, window, [s.stage for s in budget.stages]),
        twin=twin_command("latency", window, *extra),
    )


def stage_p99_series(
    source: Sources, window: AnalysisWindow, stages: list[str], points: int = PLOT_POINTS
) -> tuple[StageSeries, ...]:
    """Each stage's p99 in `points` equal buckets of the window, from the logged timings."""
    import pandas as pd

    columns = ["ts", *(f"{stage}_ms" for stage in stages)]
    frame = source.inference_log.window(
        window.model.name, window.start, window.end, columns=columns
    )
    if frame.empty or "ts" not in frame:
        return ()
    step = max((window.end - window.start).total_seconds() / points, 1.0)
    stamps = pd.to_datetime(frame["ts"], utc=True)
    offset = (stamps - pd.Timestamp(window.start)).dt.total_seconds().to_numpy()
    bucket = np.floor(offset / step).astype(np.int64)
    found: list[StageSeries] = []
    for stage in stages:
        column = f"{stage}_ms"
        if column not in frame:
            continue
        p99 = pd.Series(frame[column].to_numpy(dtype=np.float64)).groupby(bucket).quantile(0.99)
        at = window.start.timestamp() + step * p99.index.to_numpy(dtype=np.float64)
        found.append(StageSeries(stage, at, p99.to_numpy(dtype=np.float64)))
    return tuple(found)


def what_if(budget: LatencyBudget, stage: str, speedup: float) -> WhatIfAnswer:
    """Amdahl for one stage of the budget, with the same function `vigil latency` uses."""
    from console.analysis.latency import amdahl

    if speedup <= 0:
        raise WhatIfError(f"speed-up must be positive, got {speedup:g}")
    known = {s.stage: s for s in budget.stages}
    if stage not in known:
        raise WhatIfError(f"unknown stage {stage!r} (stages: {', '.join(known)})")
    share = known[stage].share
    if share is None:
        raise WhatIfError(f"{stage} has no measured share of the request")
    return WhatIfAnswer(stage, share, speedup, amdahl(share, speedup))


def parse_what_if(text: str) -> tuple[str, float]:
    """`feature_fetch 3` or `feature_fetch=3x` as (stage, speed-up)."""
    words = text.replace("=", " ").replace("×", " ").split()
    if len(words) != 2:
        raise WhatIfError("type a stage and a speed-up, e.g. feature_fetch 2")
    try:
        return words[0], float(words[1].rstrip("xX"))
    except ValueError:
        raise WhatIfError(f"{words[1]!r} is not a speed-up (e.g. 2 or 1.5)") from None


def number(value: float | None) -> str:
    """A latency as `vigil latency` prints it: 4 significant digits, `-` when absent."""
    return "-" if value is None else f"{value:.4g}"


def verdict(stage: StageLatency) -> str:
    """`OVER` (in words, not colour alone), `ok`, or `-` without a budget."""
    if stage.budget_ms is None or stage.p99 is None:
        return "-"
    return "OVER" if stage.over_budget else "ok"


def stage_cells(stage: StageLatency) -> tuple[str, ...]:
    """One stage's row: p50, p95, p99, budget, verdict and share as `vigil latency` prints them."""
    share = f"{stage.share:.0%}" if stage.share is not None else "-"
    budget = f"{stage.budget_ms:g}" if stage.budget_ms is not None else "-"
    return (
        stage.stage,
        number(stage.p50),
        number(stage.p95),
        number(stage.p99),
        budget,
        verdict(stage),
        share,
    )


def slo_text(budget: LatencyBudget) -> str:
    """`end to end p99 141.2 ms: OVER the 100 ms SLO` (or within it, or no SLO)."""
    e2e = budget.end_to_end_p99
    if e2e is None:
        return "no end-to-end p99 in the window"
    if budget.slo_p99_ms is None:
        return f"end to end p99 {number(e2e)} ms (no SLO set)"
    state = "OVER" if budget.slo_breached else "within"
    return f"end to end p99 {number(e2e)} ms: {state} the {budget.slo_p99_ms:g} ms SLO"


def over_text(budget: LatencyBudget) -> str:
    """`feature_fetch is OVER its budget: p99 31.2 > 25 ms`, or that none is."""
    over = budget.over_budget
    if over is None or over.p99 is None:
        return "no stage is over its budget"
    return f"{over.stage} is OVER its budget: p99 {number(over.p99)} > {over.budget_ms:g} ms"
