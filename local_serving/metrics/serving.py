"""The server's metric families, and per-version handles so the request path skips lookups."""

from __future__ import annotations

import platform
from collections.abc import Sequence

from local_serving.metrics.prom import CounterChild, Family, HistogramChild, render

STAGES: tuple[str, ...] = ("parse", "inference", "postprocess", "serialize")
LATENCY_BUCKETS_S = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
SCORE_BUCKETS = tuple(round(i / 20, 2) for i in range(1, 20))
DEFAULT_FEATURE_BUCKETS = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)


class VersionMetrics:
    """Direct references to one version's children: requests, errors, stages, score."""

    __slots__ = ("errors", "features", "request", "requests", "score", "stages")

    def __init__(
        self,
        metrics: ServingMetrics,
        model: str,
        version: str,
        feature_bounds: Sequence[tuple[str, Sequence[float]]],
    ) -> None:
        """Create (or find) every child of the version."""
        self.requests: CounterChild = metrics.requests.counter(model, version)
        self.errors: CounterChild = metrics.errors.counter(model, version)
        self.request: HistogramChild = metrics.request_latency.histogram(model, version)
        self.stages: tuple[HistogramChild, ...] = tuple(
            metrics.stage_latency.histogram(model, version, stage) for stage in STAGES
        )
        self.score: HistogramChild = metrics.score.histogram(model, version)
        self.features: tuple[HistogramChild, ...] = tuple(
            metrics.features.histogram_with(bounds, model, version, name)
            for name, bounds in feature_bounds
        )

    def observe_stages(self, seconds: Sequence[float]) -> None:
        """One request's stage durations and their total."""
        for child, value in zip(self.stages, seconds, strict=True):
            child.observe(value)
        self.request.observe(sum(seconds))
        self.requests.value += 1


class ServingMetrics:
    """Every metric family the server exposes on /metrics."""

    def __init__(self, runtime_versions: dict[str, str]) -> None:
        """Declare the families and record the runtime versions as build info."""
        mv = ("model", "version")
        self.requests = Family("vigil_requests_total", "Inference requests served.", "counter", mv)
        self.errors = Family(
            "vigil_request_errors_total", "Inference requests that failed.", "counter", mv
        )
        self.rejected = Family(
            "vigil_rejected_requests_total",
            "Requests refused before routing, by HTTP status.",
            "counter",
            ("model", "code"),
        )
        self.stage_latency = Family(
            "vigil_stage_latency_seconds",
            "Server-side latency per stage (parse, inference, postprocess, serialize).",
            "histogram",
            (*mv, "stage"),
            LATENCY_BUCKETS_S,
        )
        self.request_latency = Family(
            "vigil_request_latency_seconds",
            "Server-side latency of a whole inference request.",
            "histogram",
            mv,
            LATENCY_BUCKETS_S,
        )
        self.score = Family(
            "vigil_prediction_score",
            "Prediction scores, for drift.",
            "histogram",
            mv,
            SCORE_BUCKETS,
        )
        self.features = Family(
            "vigil_feature_value",
            "Selected input feature values, for drift (buckets at reference deciles).",
            "histogram",
            (*mv, "feature"),
        )
        self.weight = Family("vigil_traffic_weight_percent", "Traffic weight.", "gauge", mv)
        self.ready = Family("vigil_version_ready", "1 when a version is loaded.", "gauge", mv)
        self.shadow = Family(
            "vigil_shadow_requests_total", "Requests mirrored to a shadow version.", "counter", mv
        )
        self.log_rows = Family(
            "vigil_inference_log_rows_total", "Sampled rows written.", "counter", ("model",)
        )
        self.log_dropped = Family(
            "vigil_inference_log_dropped_total", "Sampled rows dropped.", "counter", ("model",)
        )
        names = ("python", *sorted(runtime_versions))
        self.build = Family(
            "vigil_serving_build_info", "Runtime versions of the server.", "gauge", names
        )
        values = (
            platform.python_version(),
            *(runtime_versions[k] for k in sorted(runtime_versions)),
        )
        self.build.gauge(*values).set(1)

    def families(self) -> list[Family]:
        """Every family, in exposition order."""
        return [
            self.build,
            self.requests,
            self.errors,
            self.rejected,
            self.request_latency,
            self.stage_latency,
            self.score,
            self.features,
            self.weight,
            self.ready,
            self.shadow,
            self.log_rows,
            self.log_dropped,
        ]

    def exposition(self) -> bytes:
        """The /metrics document."""
        return render(self.families())

    def forget_version(self, model: str, version: str, feature_names: Sequence[str]) -> None:
        """Drop an unloaded version's children so /metrics shows only what is served."""
        for family in (self.requests, self.errors, self.request_latency, self.score, self.shadow):
            family.remove(model, version)
        for family in (self.weight, self.ready):
            family.remove(model, version)
        for stage in STAGES:
            self.stage_latency.remove(model, version, stage)
        for name in feature_names:
            self.features.remove(model, version, name)
