"""Seeded synthetic features and ground-truth targets for the three demo models.

Each model has a feature generator and a "true" target function; the models
are trained on samples of them and production rows are drawn from the same
generators, so drift appears only where the incident plants it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from console.demo.catalog import CHURN, ETA, FRAUD, Categorical, ModelPlan

Generator = Callable[[np.random.Generator, int], pd.DataFrame]
Truth = Callable[[pd.DataFrame, np.random.Generator], np.ndarray]


def _categorical(rng: np.random.Generator, spec: Categorical, n: int) -> pd.Categorical:
    """n draws of a categorical feature with its traffic shares."""
    shares = np.asarray(spec.shares) / sum(spec.shares)
    codes = rng.choice(len(spec.categories), size=n, p=shares)
    return pd.Categorical.from_codes(codes, categories=list(spec.categories))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def fraud_features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Card transactions: amount, session length, account age, history, distance, device..."""
    frame = pd.DataFrame(
        {
            "amount": np.round(rng.lognormal(3.8, 0.9, n), 2),
            "session_length": np.round(rng.lognormal(5.0, 0.7, n), 1),
            "account_age_days": np.floor(rng.gamma(1.2, 400.0, n)),
            "num_prev_txn": rng.poisson(rng.gamma(2.0, 15.0, n)).astype(np.float64),
            "distance_km": np.round(rng.lognormal(2.0, 1.2, n), 2),
        }
    )
    for spec in FRAUD.categorical:
        frame[spec.name] = _categorical(rng, spec, n)
    return frame


def fraud_logit(frame: pd.DataFrame) -> np.ndarray:
    """The true log-odds of fraud for each transaction."""
    amount = (np.log1p(frame["amount"].to_numpy()) - 3.8) / 0.9
    session = (np.log1p(frame["session_length"].to_numpy()) - 5.0) / 0.7
    age = (np.log1p(frame["account_age_days"].to_numpy()) - 5.5) / 1.3
    distance = (np.log1p(frame["distance_km"].to_numpy()) - 2.0) / 1.2
    risky_country = frame["country"].isin(("NG", "BR")).to_numpy()
    risky_merchant = frame["merchant_category"].isin(("electronics", "gaming")).to_numpy()
    android = frame["device_type"].isin(("android",)).to_numpy()
    return (
        -5.2
        + 2.24 * amount
        - 0.96 * session
        - 1.28 * age
        + 0.8 * distance
        + 1.44 * risky_country
        + 1.28 * risky_merchant
        + 0.48 * android
    )


def fraud_truth(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Fraud labels (0/1) drawn from the true log-odds."""
    return (rng.random(len(frame)) < _sigmoid(fraud_logit(frame))).astype(np.float64)


def eta_features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Delivery orders: distance, items, prep time, courier load, rain, kitchen backlog."""
    frame = pd.DataFrame(
        {
            "distance_km": np.round(rng.lognormal(1.1, 0.6, n), 2),
            "n_items": (1 + rng.poisson(2.0, n)).astype(np.float64),
            "prep_time_min": np.round(rng.gamma(4.0, 3.0, n), 1),
            "courier_load": np.round(rng.beta(2.0, 3.0, n), 3),
            "precipitation_mm": np.round(rng.exponential(1.0, n) * (rng.random(n) < 0.3), 2),
            "restaurant_backlog": rng.poisson(3.0, n).astype(np.float64),
        }
    )
    return frame


def eta_truth(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Minutes to deliver: travel, preparation, load, rain and backlog, plus noise."""
    minutes = (
        6.0
        + 3.2 * frame["distance_km"].to_numpy()
        + 0.7 * frame["n_items"].to_numpy()
        + frame["prep_time_min"].to_numpy()
        + 9.0 * frame["courier_load"].to_numpy()
        + 3.0 * np.sqrt(frame["precipitation_mm"].to_numpy())
        + 1.2 * frame["restaurant_backlog"].to_numpy()
        + rng.normal(0.0, 2.5, len(frame))
    )
    return np.round(np.maximum(minutes, 3.0), 1)


def churn_features(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Subscribers: tenure, spend, support tickets, logins, plan, region."""
    frame = pd.DataFrame(
        {
            "tenure_months": np.floor(rng.gamma(1.5, 14.0, n)) + 1,
            "monthly_spend": np.round(rng.lognormal(3.3, 0.6, n), 2),
            "support_tickets": rng.poisson(0.8, n).astype(np.float64),
            "logins_30d": rng.poisson(12.0, n).astype(np.float64),
        }
    )
    for spec in CHURN.categorical:
        frame[spec.name] = _categorical(rng, spec, n)
    return frame


def churn_truth(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Churn labels (0/1): short tenure, tickets and few logins raise the odds."""
    enterprise = frame["plan"].isin(("enterprise",)).to_numpy()
    basic = frame["plan"].isin(("basic",)).to_numpy()
    logit = (
        -0.6
        - 0.7 * (np.log1p(frame["tenure_months"].to_numpy()) - 2.8)
        + 0.6 * frame["support_tickets"].to_numpy()
        - 0.12 * (frame["logins_30d"].to_numpy() - 12.0)
        - 0.8 * enterprise
        + 0.3 * basic
    )
    return (rng.random(len(frame)) < _sigmoid(logit)).astype(np.float64)


GENERATORS: dict[str, tuple[Generator, Truth]] = {
    FRAUD.name: (fraud_features, fraud_truth),
    ETA.name: (eta_features, eta_truth),
    CHURN.name: (churn_features, churn_truth),
}


def sample(plan: ModelPlan, rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """n rows of features for `plan` and their true targets."""
    features, truth = GENERATORS[plan.name]
    frame = features(rng, n)
    return frame, truth(frame, rng)
