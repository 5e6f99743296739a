"""Metric, quantile and drift conditions evaluated by the engine itself from the MetricStore."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from runbooks.engine.environment import Environment
from runbooks.spec.templating import parse_duration

DEFAULT_WINDOW_S = 300.0


@dataclass(frozen=True)
class Measurement:
    """One condition measured: the value, its threshold and pass / fail / inconclusive."""

    name: str
    verdict: str
    value: float | None
    threshold: str
    detail: str = ""

    def line(self) -> str:
        """A one-line reading, e.g. `error_rate 0.031 > max 0.02: fail`."""
        shown = "no data" if self.value is None else f"{self.value:.4g}"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.name} {shown} vs {self.threshold}: {self.verdict}{extra}"


def evaluate(env: Environment, model: str, condition: Mapping[str, Any]) -> Measurement:
    """Measure one condition now; missing data or a backend error is inconclusive."""
    from backends.contracts import BackendError

    name = str(condition.get("name") or default_name(condition))
    threshold = _threshold_text(condition)
    try:
        value, detail = _value(env, model, condition)
    except (BackendError, ValueError, KeyError, TypeError) as error:
        return Measurement(name, "inconclusive", None, threshold, f"cannot measure: {error}")
    if value is None:
        return Measurement(name, "inconclusive", None, threshold, detail)
    ok = True
    if "max" in condition:
        ok = ok and value <= float(condition["max"])
    if "min" in condition:
        ok = ok and value >= float(condition["min"])
    return Measurement(name, "pass" if ok else "fail", value, threshold, detail)


def _value(env: Environment, model: str, condition: Mapping[str, Any]) -> tuple[float | None, str]:
    """The reduced value of the condition (a ratio when it has a baseline)."""
    window = parse_duration(condition.get("window", DEFAULT_WINDOW_S))
    if "drift" in condition:
        if env.drift is None:
            return None, "no drift analysis available in this context"
        feature = condition.get("feature")
        value = env.drift(model, str(feature) if feature else None, window)
        return (None if value is None else float(value)), f"PSI over {window:.0f}s"
    labels = {"model": model, **{str(k): str(v) for k, v in condition.get("labels", {}).items()}}
    short = _too_few(env, condition, labels, window)
    if short:
        return None, short
    current = _reduce(env, condition, labels, window)
    if current is None:
        return None, "no data in the window"
    baseline = condition.get("baseline")
    if not baseline:
        return current, ""
    base_labels = {**labels, **{str(k): str(v) for k, v in baseline.get("labels", {}).items()}}
    base_window = parse_duration(baseline.get("window", window))
    reference = _reduce(env, condition, base_labels, base_window)
    if reference is None or reference <= 0:
        return None, "no baseline data"
    return current / reference, f"{current:.4g} / baseline {reference:.4g}"


def _too_few(
    env: Environment, condition: Mapping[str, Any], labels: Mapping[str, str], window: float
) -> str:
    """Why a ratio over fewer than `env.min_samples` requests is no measurement, or ""."""
    if "per" not in condition or env.min_samples <= 0:
        return ""
    seen = sum(_points(env, str(condition["per"]), labels, window))
    if seen >= env.min_samples:
        return ""
    return f"insufficient sample: {seen:,.0f} {condition['per']} < minimum {env.min_samples:,}"


def _reduce(
    env: Environment, condition: Mapping[str, Any], labels: Mapping[str, str], window: float
) -> float | None:
    """Reduce the window to one number: mean, last, max, min, or sum(metric) / sum(per)."""
    if "histogram" in condition:
        values = _points(env, str(condition["histogram"]), labels, window, condition["quantile"])
    else:
        values = _points(env, str(condition["metric"]), labels, window)
    if not values:
        return None
    if "per" in condition:
        denominator = sum(_points(env, str(condition["per"]), labels, window))
        return sum(values) / denominator if denominator > 0 else None
    how = str(condition.get("reduce", "mean"))
    if how == "last":
        return values[-1]
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    return sum(values) / len(values)


def _points(
    env: Environment,
    name: str,
    labels: Mapping[str, str],
    window: float,
    quantile: Any = None,
) -> list[float]:
    """The finite values of every matching series in the last `window` seconds, oldest first."""
    end = datetime.now(UTC)
    start = end - timedelta(seconds=window)
    step = 60 if window >= 600 else max(1, int(window // 10))
    store = env.get("metrics")
    if quantile is not None:
        series = store.quantile_range(name, float(quantile), labels, start, end, step)
    else:
        series = store.query_range(name, labels, start, end, step)
    points: list[tuple[float, float]] = []
    for one in series:
        for ts, value in zip(one.timestamps, one.values, strict=False):
            if value is not None and math.isfinite(float(value)):
                points.append((float(ts), float(value)))
    return [value for _, value in sorted(points)]


def default_name(condition: Mapping[str, Any]) -> str:
    """A readable name from what the condition measures."""
    if "drift" in condition:
        return f"psi({condition.get('feature') or 'prediction'})"
    if "histogram" in condition:
        base = f"p{float(condition['quantile']) * 100:g}({condition['histogram']})"
    elif "per" in condition:
        base = f"{condition['metric']}/{condition['per']}"
    else:
        base = str(condition["metric"])
    return f"{base}/baseline" if condition.get("baseline") else base


def _threshold_text(condition: Mapping[str, Any]) -> str:
    """`max 0.02`, `min 0.9` or both."""
    parts = [f"{k} {float(condition[k]):g}" for k in ("max", "min") if k in condition]
    return " and ".join(parts)


@dataclass(frozen=True)
class TriggerResult:
    """One retraining trigger (seed format): value against threshold, and whether it fires."""

    metric: str
    value: float | None
    threshold: float
    fires: bool
    detail: str = ""

    def line(self) -> str:
        """`feature_drift_psi 0.31 > 0.2: fires`."""
        shown = "no data" if self.value is None else f"{self.value:.4g}"
        verdict = "fires" if self.fires else "quiet"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.metric} {shown} vs threshold {self.threshold:g}: {verdict}{extra}"


def evaluate_trigger(env: Environment, model: str, trigger: Mapping[str, Any]) -> TriggerResult:
    """Evaluate one trigger: PSI of features or predictions, or a metric's drop from baseline."""
    from backends.contracts import BackendError

    metric = str(trigger["metric"])
    threshold = float(trigger["threshold"])
    window = parse_duration(trigger.get("window", "24h"))
    try:
        value, detail = _trigger_value(env, model, metric, trigger, window)
    except (BackendError, ValueError, KeyError, TypeError) as error:
        return TriggerResult(metric, None, threshold, False, f"cannot measure: {error}")
    fires = value is not None and value > threshold
    return TriggerResult(metric, value, threshold, fires, detail)


def _trigger_value(
    env: Environment, model: str, metric: str, trigger: Mapping[str, Any], window: float
) -> tuple[float | None, str]:
    """The number a trigger compares with its threshold."""
    if metric in ("feature_drift_psi", "prediction_distribution_shift"):
        if env.drift is None:
            return None, "no drift analysis available in this context"
        if metric == "prediction_distribution_shift":
            return env.drift(model, None, window), "PSI of the prediction score"
        features = list(trigger.get("features") or [])
        if not features:
            specs = env.get("registry").get_model(model).features
            features = [spec.name for spec in specs]
        values = {f: env.drift(model, f, window) for f in features}
        known = {f: v for f, v in values.items() if v is not None}
        if not known:
            return None, "no drift data for " + (", ".join(features) or "any feature")
        worst = max(known, key=lambda f: known[f])
        return known[worst], f"max PSI, on {worst}"
    current = _reduce(env, {"metric": metric}, {"model": model}, window)
    if current is None and env.quality is not None:
        current = env.quality(model, metric, window)
    if current is None:
        return None, f"no {metric} data in the window"
    champion = env.get("registry").get_model(model).alias("champion")
    baseline = champion.metrics.get(metric) if champion is not None else None
    if baseline is None:
        return None, f"the champion has no registered {metric}"
    return float(baseline) - current, f"drop from {float(baseline):.4g} to {current:.4g}"
