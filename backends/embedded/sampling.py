"""Rows logged at different sample rates, thinned to the lowest so each row weighs the same.

A logged row may carry `sample_rate`, the share of its requests that were
logged (local_serving writes its `--sample-rate`; the demo's history its own
rate). A window whose rows were logged at different rates (a sampled history,
then live traffic logged in full) would weigh the denser stretch more; so such
a window keeps each row with probability lowest rate / its rate, decided by a
hash of its timestamp (so the same rows in every window, and the rows of one
batched request together). Rows without a rate are kept as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

RATE = "sample_rate"
HASH_SCALE = float(2**64)


def thinned_to_lowest_rate(table: pa.Table) -> pa.Table:
    """`table` with the rows of denser rates dropped down to its lowest rate (needs ts)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if RATE not in table.column_names or table.num_rows == 0:
        return table
    rates = table.column(RATE).to_numpy(zero_copy_only=False).astype(np.float64)
    known = rates[np.isfinite(rates) & (rates > 0)]
    if known.size == 0 or known.min() == known.max():
        return table
    lowest = float(known.min())
    denser = np.flatnonzero(np.isfinite(rates) & (rates > lowest))
    stamps = table.column("ts").cast(pa.int64()).take(pa.array(denser)).to_numpy()
    draw = pd.util.hash_array(stamps).astype(np.float64) / HASH_SCALE
    keep = np.ones(table.num_rows, dtype=bool)
    keep[denser] = draw < lowest / rates[denser]
    return table.filter(pa.array(keep))
