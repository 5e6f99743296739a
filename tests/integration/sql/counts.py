"""The data both engines' pushdown tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FEATURES = ("amount", "age", "country")


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
