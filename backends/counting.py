"""Bin counts of a sample, the one definition every row-holding InferenceLog answers with.

Numeric edges give counts per open bin (`len(edges) + 1` of them), categorical
edges give counts per category then unseen values; missing values come last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def bin_counts_of(values: pd.Series, edges: np.ndarray) -> np.ndarray:
    """Counts of `values` per bin of `edges` (numeric) or per category (strings), then missing."""
    import numpy as np

    edges = np.asarray(edges)
    if edges.dtype.kind in "OUS":
        return category_counts(values, edges)
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bounds = edges.astype(np.float64)
    if bounds.ndim != 1 or (np.diff(bounds) < 0).any():
        raise ValueError("edges must be a one-dimensional ascending array")
    missing = np.isnan(numbers)
    placed = np.searchsorted(bounds, numbers[~missing], side="right")
    counts = np.bincount(placed, minlength=len(bounds) + 1)
    return np.append(counts, int(missing.sum())).astype(np.int64)


def category_counts(values: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Counts per category, then unseen values, then missing ones."""
    import numpy as np

    missing = values.isna().to_numpy()
    present = values[~missing].astype(str)
    counts = present.value_counts()
    known = [int(counts.get(str(c), 0)) for c in categories.tolist()]
    unseen = int(len(present) - sum(known))
    return np.asarray([*known, unseen, int(missing.sum())], dtype=np.int64)
