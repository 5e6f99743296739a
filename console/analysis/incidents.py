"""Incident arithmetic from the seed: severity P0–P3, triage order, alert hygiene, costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Severity:
    """A severity level, what it means, how fast to respond, and why it was suggested."""

    level: str
    meaning: str
    respond_within_min: int
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)


SEVERITIES: dict[str, Severity] = {
    "P0": Severity("P0", "complete failure", 15),
    "P1": Severity("P1", "accuracy down more than 10 %", 60),
    "P2": Severity("P2", "moderate drift (e.g. a feature with PSI > 0.3)", 240),
    "P3": Severity("P3", "minor", 24 * 60),
}
TRIAGE_ORDER: tuple[str, ...] = (
    "data (60–80 % of incidents): freshness, nulls, schema, drift",
    "training–serving skew",
    "a slice",
    "time pattern: sudden → a deploy or a data change; gradual → concept drift",
    "the model",
)
ROLLBACK_TIERS: dict[str, tuple[float, str]] = {
    "immediate": (60.0, "warm standby"),
    "rapid": (15 * 60.0, "from the registry"),
    "delayed": (4 * 3600.0, "with state migration"),
}


def suggest_severity(
    *,
    complete_failure: bool = False,
    accuracy_drop: float | None = None,
    max_psi: float | None = None,
) -> Severity:
    """The seed's severity for what is known; `accuracy_drop` is relative to the baseline."""
    from dataclasses import replace

    if complete_failure:
        return replace(SEVERITIES["P0"], reason="the model is not answering")
    if accuracy_drop is not None and accuracy_drop > 0.10:
        return replace(SEVERITIES["P1"], reason=f"accuracy down {accuracy_drop:.1%}")
    if max_psi is not None and max_psi > 0.3:
        return replace(SEVERITIES["P2"], reason=f"a feature has PSI {max_psi:.3f} > 0.3")
    parts = []
    if accuracy_drop is not None:
        parts.append(
            f"accuracy down {accuracy_drop:.1%}" if accuracy_drop > 0 else "accuracy not down"
        )
    if max_psi is not None:
        parts.append(f"max PSI {max_psi:.3f}")
    return replace(SEVERITIES["P3"], reason=", ".join(parts) or "nothing over the P2 line")


def relative_drop(baseline: float, current: float) -> float:
    """How far `current` fell below `baseline`, as a share of the baseline."""
    if baseline == 0:
        raise ValueError("baseline is 0: a relative drop is undefined")
    return (baseline - current) / baseline


def silent_failure_cost(revenue: float, quality_drop: float, days_to_detect: float) -> float:
    """Revenue lost while a quality drop goes unnoticed: revenue · drop · days / 365."""
    return revenue * quality_drop * days_to_detect / DAYS_PER_YEAR


@dataclass(frozen=True)
class DetectionValue:
    """What faster detection is worth: cost per incident slow and fast, and the yearly saving."""

    slow_cost: float
    fast_cost: float
    yearly_saving: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)


def detection_value(
    revenue: float,
    quality_drop: float,
    slow_days: float,
    fast_days: float,
    incidents_per_year: float,
) -> DetectionValue:
    """Cost of an incident detected slowly vs quickly, and the saving over a year (I5)."""
    slow = silent_failure_cost(revenue, quality_drop, slow_days)
    fast = silent_failure_cost(revenue, quality_drop, fast_days)
    return DetectionValue(slow, fast, (slow - fast) * incidents_per_year)


@dataclass(frozen=True)
class AlertHygiene:
    """One alert rule: how often it fired, how often someone acted, and whether to retire it."""

    alert: str
    fired: int
    acted: int
    action_rate: float
    retire: bool


def alert_hygiene(
    counts: Mapping[str, tuple[int, int]], min_action_rate: float = 0.10
) -> list[AlertHygiene]:
    """Alerts acted on less than `min_action_rate` of the time are flagged for retirement (I4)."""
    result = []
    for alert, (fired, acted) in counts.items():
        if acted > fired or fired < 0 or acted < 0:
            raise ValueError(f"{alert}: acted ({acted}) must be between 0 and fired ({fired})")
        rate = acted / fired if fired else 0.0
        result.append(AlertHygiene(alert, fired, acted, rate, fired > 0 and rate < min_action_rate))
    return sorted(result, key=lambda row: (row.action_rate, -row.fired))


@dataclass(frozen=True)
class RollbackTiming:
    """A rollback's duration against its tier's target."""

    tier: str
    seconds: float
    target_s: float
    met: bool


def rollback_timing(tier: str, seconds: float) -> RollbackTiming:
    """A rollback timed against its tier: immediate < 1 min, rapid < 15 min, delayed < 4 h."""
    if tier not in ROLLBACK_TIERS:
        raise ValueError(f"unknown rollback tier {tier!r} (known: {', '.join(ROLLBACK_TIERS)})")
    target = ROLLBACK_TIERS[tier][0]
    return RollbackTiming(tier, seconds, target, seconds < target)
