"""How Vigil's series map onto a deployment's metric names and labels (default: local_serving's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True)
class Mapped:
    """One Vigil series as PromQL sees it: metric name, kind, unit scale and label renames."""

    metric: str
    kind: Kind = "gauge"
    scale: float = 1.0
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str) -> str:
        """The deployment's name for Vigil's label `name`."""
        return self.labels.get(name, name)


LOCAL_SERVING: dict[str, Mapped] = {
    "requests_total": Mapped("vigil_requests_total", "counter"),
    "errors_total": Mapped("vigil_request_errors_total", "counter"),
    "rejected_total": Mapped("vigil_rejected_requests_total", "counter"),
    "stage_latency_ms": Mapped("vigil_stage_latency_seconds", "histogram", 1000.0),
    "request_latency_ms": Mapped("vigil_request_latency_seconds", "histogram", 1000.0),
    "prediction_score": Mapped("vigil_prediction_score", "histogram"),
    "feature_value": Mapped("vigil_feature_value", "histogram"),
    "traffic_weight_percent": Mapped("vigil_traffic_weight_percent", "gauge"),
}


def naming(overrides: Mapping[str, Any] | None) -> dict[str, Mapped]:
    """The default map with a context's `names:` entries over it; a bad entry is a ValueError."""
    names = dict(LOCAL_SERVING)
    for series, entry in (overrides or {}).items():
        if isinstance(entry, str):
            names[str(series)] = Mapped(entry, names.get(str(series), Mapped(entry)).kind)
            continue
        if not isinstance(entry, Mapping) or not isinstance(entry.get("metric"), str):
            raise ValueError(f"prometheus names.{series} must be a metric name or {{metric: ...}}")
        kind = entry.get("kind", names.get(str(series), Mapped("")).kind)
        if kind not in ("counter", "gauge", "histogram"):
            raise ValueError(f"prometheus names.{series}.kind must be counter, gauge or histogram")
        labels = entry.get("labels", {})
        if not isinstance(labels, Mapping):
            raise ValueError(f"prometheus names.{series}.labels must map Vigil labels to yours")
        names[str(series)] = Mapped(
            entry["metric"],
            kind,
            float(entry.get("scale", 1.0)),
            {str(k): str(v) for k, v in labels.items()},
        )
    return names


def selector(mapped: Mapped, labels: Mapping[str, str], suffix: str = "") -> str:
    """`metric_suffix{label="value",...}` with the deployment's label names, values escaped."""
    pairs = ",".join(f'{mapped.label(k)}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{mapped.metric}{suffix}{{{pairs}}}"


def _escape(value: str) -> str:
    """A PromQL string literal's content."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
