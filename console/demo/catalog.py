"""The three demo models: features, SLOs, latency budgets, versions, aliases and traffic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Task = Literal["binary-classification", "regression", "multiclass"]
Runtime = Literal["onnx", "torch"]


@dataclass(frozen=True)
class Numeric:
    """A numeric input; `log` means the model sees log1p(value)."""

    name: str
    log: bool = False


@dataclass(frozen=True)
class Categorical:
    """A categorical input with its categories and their traffic shares."""

    name: str
    categories: tuple[str, ...]
    shares: tuple[float, ...]


@dataclass(frozen=True)
class VersionPlan:
    """One version to train: its hyper-parameters, when it was registered and aliased.

    Aliases are set at registration, or at `promoted_before_end` (a later deploy) when given.
    """

    version: str
    registered_before_end: timedelta
    hidden: int
    lr: float
    aliases: tuple[str, ...] = ()
    data_seed: int = 0
    promoted_before_end: timedelta | None = None


@dataclass(frozen=True)
class ModelPlan:
    """One demo model: what it predicts, its inputs, its budget and its versions."""

    name: str
    task: Task
    runtime: Runtime
    description: str
    slo_p99_ms: float
    latency_budget_ms: dict[str, float]
    numeric: tuple[Numeric, ...]
    categorical: tuple[Categorical, ...]
    versions: tuple[VersionPlan, ...]
    traffic: dict[str, int]
    requests_per_min: float
    host: str
    stage_p50_ms: dict[str, float]
    label_delay_h: float

    @property
    def feature_names(self) -> list[str]:
        """Raw feature columns, numeric first."""
        return [f.name for f in self.numeric] + [f.name for f in self.categorical]

    def version(self, version: str) -> VersionPlan:
        """The plan of one version."""
        return next(v for v in self.versions if v.version == version)


DEVICES = Categorical(
    "device_type", ("desktop", "ios", "android", "tablet"), (0.45, 0.30, 0.20, 0.05)
)
COUNTRIES = Categorical(
    "country",
    ("US", "GB", "DE", "FR", "BR", "IN", "NG", "CA"),
    (0.38, 0.14, 0.12, 0.10, 0.08, 0.08, 0.04, 0.06),
)
MERCHANTS = Categorical(
    "merchant_category",
    ("grocery", "fashion", "electronics", "travel", "gaming"),
    (0.35, 0.25, 0.18, 0.12, 0.10),
)

FRAUD = ModelPlan(
    name="fraud-detector",
    task="binary-classification",
    runtime="onnx",
    description="Scores card transactions for fraud at checkout (ONNX MLP).",
    slo_p99_ms=100.0,
    latency_budget_ms={
        "network": 15.0,
        "feature_fetch": 25.0,
        "parse": 5.0,
        "inference": 40.0,
        "postprocess": 10.0,
        "serialize": 5.0,
    },
    numeric=(
        Numeric("amount", log=True),
        Numeric("session_length", log=True),
        Numeric("account_age_days", log=True),
        Numeric("num_prev_txn", log=True),
        Numeric("distance_km", log=True),
    ),
    categorical=(DEVICES, COUNTRIES, MERCHANTS),
    versions=(
        VersionPlan(
            "1", timedelta(days=61), hidden=16, lr=0.01, aliases=("champion",), data_seed=1
        ),
        VersionPlan(
            "2", timedelta(days=33), hidden=32, lr=0.01, aliases=("champion",), data_seed=2
        ),
        VersionPlan(
            "3",
            timedelta(hours=43),
            hidden=48,
            lr=0.008,
            aliases=("challenger",),
            data_seed=3,
            promoted_before_end=timedelta(hours=40),
        ),
    ),
    traffic={"2": 90, "3": 10},
    requests_per_min=900.0,
    host="serve-a",
    stage_p50_ms={
        "network": 4.0,
        "feature_fetch": 6.0,
        "parse": 0.8,
        "inference": 9.0,
        "postprocess": 1.5,
        "serialize": 0.6,
    },
    label_delay_h=2.0,
)

ETA = ModelPlan(
    name="eta-regressor",
    task="regression",
    runtime="torch",
    description="Predicts delivery time in minutes (TorchScript MLP, numeric inputs only).",
    slo_p99_ms=150.0,
    latency_budget_ms={
        "network": 20.0,
        "feature_fetch": 40.0,
        "parse": 5.0,
        "inference": 60.0,
        "postprocess": 15.0,
        "serialize": 10.0,
    },
    numeric=(
        Numeric("distance_km", log=True),
        Numeric("n_items"),
        Numeric("prep_time_min"),
        Numeric("courier_load"),
        Numeric("precipitation_mm", log=True),
        Numeric("restaurant_backlog"),
    ),
    categorical=(),
    versions=(
        VersionPlan(
            "1", timedelta(days=45), hidden=32, lr=0.01, aliases=("champion",), data_seed=11
        ),
        VersionPlan(
            "2", timedelta(days=5), hidden=64, lr=0.01, aliases=("challenger",), data_seed=12
        ),
    ),
    traffic={"1": 100, "2": 0},
    requests_per_min=300.0,
    host="serve-b",
    stage_p50_ms={
        "network": 5.0,
        "feature_fetch": 9.0,
        "parse": 0.9,
        "inference": 14.0,
        "postprocess": 2.0,
        "serialize": 1.0,
    },
    label_delay_h=1.0,
)

CHURN = ModelPlan(
    name="churn-classifier",
    task="binary-classification",
    runtime="onnx",
    description="Flags subscribers likely to cancel within 30 days (ONNX MLP).",
    slo_p99_ms=200.0,
    latency_budget_ms={
        "network": 25.0,
        "feature_fetch": 60.0,
        "parse": 5.0,
        "inference": 80.0,
        "postprocess": 20.0,
        "serialize": 10.0,
    },
    numeric=(
        Numeric("tenure_months", log=True),
        Numeric("monthly_spend", log=True),
        Numeric("support_tickets"),
        Numeric("logins_30d"),
    ),
    categorical=(
        Categorical("plan", ("basic", "pro", "enterprise"), (0.6, 0.3, 0.1)),
        Categorical("region", ("emea", "amer", "apac"), (0.4, 0.4, 0.2)),
    ),
    versions=(
        VersionPlan(
            "1", timedelta(days=90), hidden=16, lr=0.01, aliases=("champion",), data_seed=21
        ),
        VersionPlan(
            "2", timedelta(days=20), hidden=32, lr=0.01, aliases=("challenger",), data_seed=22
        ),
    ),
    traffic={"1": 50, "2": 50},
    requests_per_min=60.0,
    host="serve-b",
    stage_p50_ms={
        "network": 6.0,
        "feature_fetch": 15.0,
        "parse": 1.0,
        "inference": 12.0,
        "postprocess": 2.5,
        "serialize": 1.2,
    },
    label_delay_h=12.0,
)

MODELS: tuple[ModelPlan, ...] = (FRAUD, ETA, CHURN)
HOSTS: dict[str, float] = {"serve-a": 16 * 2**30, "serve-b": 8 * 2**30}
