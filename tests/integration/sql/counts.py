"""Drift rows from pushed-down counts, and the data both engines' tests share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from console.analysis.drift.bands import get_profile
from console.analysis.drift.reference import NUMERIC, Binned, ReferenceProfile
from console.analysis.drift.table import FeatureDrift, binned_row

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FEATURES = ("amount", "age", "country")


def edges_of_fit(fitted: ReferenceProfile) -> dict[str, np.ndarray]:
    """What the engine is sent: each feature's reference edges, or its categories."""
    return {
        name: fit.edges if fit.kind == NUMERIC else np.asarray(fit.categories, dtype=object)
        for name, fit in fitted.fits.items()
    }


def rows_from_counts(
    fitted: ReferenceProfile, counted: Mapping[str, tuple[np.ndarray, int]], profile: str
) -> dict[str, FeatureDrift]:
    """One drift row per feature from the engine's counts and infinite totals."""
    chosen = get_profile(profile)
    rows = {}
    for name, (counts, infinite) in counted.items():
        note = f"{infinite} infinite value(s) counted in the outer bins" if infinite else ""
        binned = Binned(counts, int(counts.sum()), infinite, note)
        rows[name] = binned_row(fitted[name], binned, chosen)
    return rows


def logged_rows(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """`n` requests over two days: numeric features with NaN and ±inf, a categorical with None."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(100 + shift, 20, n)
    amount[rng.random(n) < 0.05] = np.nan
    amount[rng.random(n) < 0.002] = np.inf
    amount[rng.random(n) < 0.002] = -np.inf
    country = rng.choice(
        np.array(["US", "FR", "DE", "BR"], dtype=object), n, p=[0.5, 0.2, 0.2, 0.1]
    )
    country[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(T0) + pd.to_timedelta(np.sort(rng.uniform(0, 2 * 86_400, n)), "s"),
            "request_id": [f"r{seed}-{i}" for i in range(n)],
            "version": np.where(rng.random(n) < 0.7, "1", "2"),
            "amount": amount,
            "age": rng.integers(18, 90, n).astype(np.float64),
            "country": country,
            "score": rng.random(n),
            "prediction": rng.integers(0, 2, n).astype(np.float64),
            "label": np.where(rng.random(n) < 0.5, rng.integers(0, 2, n), np.nan),
            "inference_ms": rng.gamma(2.0, 5.0, n),
        }
    )


DAY = timedelta(days=1)
