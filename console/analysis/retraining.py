"""Retraining: the seed's trigger format evaluated against current values, T*, sample sizes.

Triggers (ORACLES R6) are OR-combined: one that fires is enough.

    triggers:
      - {metric: accuracy, threshold: 0.05, window: 7d}          # accuracy fell by > 0.05
      - {metric: feature_drift_psi, threshold: 0.2, features: [a, b]}  # any listed PSI > 0.2
      - {metric: prediction_distribution_shift, threshold: 0.1, window: 24h}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
KNOWN_METRICS = {
    "accuracy": "drop in accuracy over the window (baseline − current)",
    "feature_drift_psi": "PSI of each listed feature (any over the threshold fires)",
    "prediction_distribution_shift": "PSI of the prediction (score) distribution",
}


class TriggerError(ValueError):
    """The trigger config is malformed; the message names the trigger and the key."""


def parse_window(text: str) -> float:
    """`7d`, `24h`, `30m`, `90s`, `2w` in seconds."""
    match = _WINDOW.match(str(text))
    if not match:
        raise TriggerError(f"window {text!r}: expected a number and a unit (s, m, h, d, w)")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


@dataclass(frozen=True)
class Trigger:
    """One retraining trigger: a metric, its threshold, an optional window and features."""

    metric: str
    threshold: float
    window: str | None = None
    window_s: float | None = None
    features: tuple[str, ...] = ()


def parse_triggers(document: Any) -> list[Trigger]:
    """Parse `{triggers: [...]}` (or the bare list) into triggers, with clear errors."""
    items = document.get("triggers") if isinstance(document, Mapping) else document
    if not isinstance(items, list) or not items:
        raise TriggerError("expected `triggers:` with a non-empty list of triggers")
    result = []
    allowed = {"metric", "threshold", "window", "features"}
    for index, item in enumerate(items):
        where = f"triggers[{index}]"
        if not isinstance(item, Mapping):
            raise TriggerError(f"{where}: must be a mapping with metric and threshold")
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise TriggerError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
        if "metric" not in item or "threshold" not in item:
            raise TriggerError(f"{where}: needs `metric` and `threshold`")
        threshold = item["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise TriggerError(f"{where}.threshold: must be a number, got {threshold!r}")
        window = item.get("window")
        features = item.get("features") or []
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise TriggerError(f"{where}.features: must be a list of feature names")
        if item["metric"] == "feature_drift_psi" and not features:
            raise TriggerError(f"{where}: feature_drift_psi needs `features`")
        result.append(
            Trigger(
                metric=str(item["metric"]),
                threshold=float(threshold),
                window=str(window) if window is not None else None,
                window_s=parse_window(str(window)) if window is not None else None,
                features=tuple(features),
            )
        )
    return result


@dataclass(frozen=True)
class TriggerResult:
    """A trigger against its current value: fires or not, and why."""

    trigger: Trigger
    value: float | None
    fires: bool
    reason: str


@dataclass(frozen=True)
class RetrainDecision:
    """Every trigger's result; retraining fires when any one does (OR)."""

    results: tuple[TriggerResult, ...]
    fires: bool = field(init=False)

    def __post_init__(self) -> None:
        """OR-combine the triggers."""
        object.__setattr__(self, "fires", any(result.fires for result in self.results))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "fires": self.fires,
            "combine": "any",
            "triggers": [asdict(r) for r in self.results],
        }


def evaluate(trigger: Trigger, values: Mapping[str, Any]) -> TriggerResult:
    """One trigger against `values` (a number per metric; a mapping per feature for PSI)."""
    name = trigger.metric
    over = f"> {trigger.threshold:g}"
    if name not in values or values[name] is None:
        return TriggerResult(trigger, None, False, f"no current value for {name}: cannot fire")
    raw = values[name]
    if name == "feature_drift_psi":
        if not isinstance(raw, Mapping):
            raise TriggerError("feature_drift_psi needs a PSI per feature")
        known = {f: float(raw[f]) for f in trigger.features if raw.get(f) is not None}
        absent = [f for f in trigger.features if f not in known]
        if not known:
            return TriggerResult(trigger, None, False, "no PSI for any listed feature")
        hits = [f"{f} PSI={v:.3f}" for f, v in known.items() if v > trigger.threshold]
        worst = max(known.values())
        gap = f"; no value for {', '.join(absent)}" if absent else ""
        if hits:
            return TriggerResult(trigger, worst, True, f"{', '.join(hits)} {over}{gap}")
        return TriggerResult(
            trigger, worst, False, f"max PSI {worst:.3f} ≤ {trigger.threshold:g}{gap}"
        )
    value = float(raw)
    label = "accuracy drop" if name == "accuracy" else name
    window = f" over {trigger.window}" if trigger.window else ""
    if value > trigger.threshold:
        return TriggerResult(trigger, value, True, f"{label}{window} {value:.4g} {over}")
    return TriggerResult(
        trigger, value, False, f"{label}{window} {value:.4g} ≤ {trigger.threshold:g}"
    )


def evaluate_triggers(triggers: Sequence[Trigger], values: Mapping[str, Any]) -> RetrainDecision:
    """Every trigger against the current values; the decision fires if any trigger does."""
    return RetrainDecision(tuple(evaluate(trigger, values) for trigger in triggers))


def optimal_interval(
    cost: float, queries: float, value: float, accuracy: float, decay: float
) -> float:
    """T* ≈ √(2C / (Q·V·A0·λ)), the square-root law (days when λ is per day)."""
    for name, number in (("C", cost), ("Q", queries), ("V", value), ("A0", accuracy), ("λ", decay)):
        if number <= 0:
            raise ValueError(f"{name} must be positive, got {number}")
    return math.sqrt(2 * cost / (queries * value * accuracy * decay))


def staleness(t: float, queries: float, value: float, accuracy: float, decay: float) -> float:
    """Value lost over an interval T: Q·V·A0·(T − (1 − e^(−λT)) / λ)."""
    return queries * value * accuracy * (t - (1 - math.exp(-decay * t)) / decay)


def optimal_interval_exact(
    cost: float, queries: float, value: float, accuracy: float, decay: float
) -> float:
    """The exact minimiser of (Staleness(T) + C) / T.

    Setting the derivative to zero gives K·[(1 − e^(−λT))·(T + 1/λ) − T] = C
    with K = Q·V·A0; its root is bracketed around the square-root law.
    """
    from scipy.optimize import brentq

    guess = optimal_interval(cost, queries, value, accuracy, decay)
    k = queries * value * accuracy

    def slope(t: float) -> float:
        """T² times the derivative of the cost rate: negative before T*, positive after."""
        return k * ((1 - math.exp(-decay * t)) * (t + 1 / decay) - t) - cost

    return float(brentq(slope, guess / 100, guess * 100, xtol=1e-14))


def threshold_crossing(start: float, decay: float, threshold: float) -> tuple[float, int]:
    """When A(t) = start·e^(−decay·t) first falls under `threshold`: t and the day it fires on."""
    if not 0 < threshold < start:
        raise ValueError("the threshold must be positive and below the starting value")
    t = math.log(start / threshold) / decay
    return t, math.ceil(t)


def sample_size(p: float, delta: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Per-arm n = 2(z_{α/2} + z_β)²·p(1 − p) / δ² for a two-sided test of a proportion."""
    from scipy.stats import norm

    if not 0 < p < 1 or delta <= 0:
        raise ValueError("p must be within (0, 1) and delta positive")
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return float(2 * z * z * p * (1 - p) / (delta * delta))


def canary_duration_h(n_per_arm: float, requests_per_hour: float, canary_share: float) -> float:
    """Hours until the canary arm has seen `n_per_arm` requests."""
    if requests_per_hour <= 0 or not 0 < canary_share <= 1:
        raise ValueError("requests per hour must be positive and the share within (0, 1]")
    return n_per_arm / (requests_per_hour * canary_share)
