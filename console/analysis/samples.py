"""The minimum-sample rule: below it a comparison says `insufficient` instead of a verdict.

Under no drift, PSI over k bins is about (k − 1)·(1/n_ref + 1/n_cur) from
sampling noise alone: with deciles and 200 current rows that is ≈ 0.05, half
the `investigate` band, while 20 rows would already read ≈ 0.45 (`act`).
So 200 is the default minimum on either side; a window, a slice or a canary
measurement with fewer values is reported with both counts and no band.
"""

from __future__ import annotations

DEFAULT_MIN_SAMPLES = 200


def shortfall(n_reference: int | None, n_current: int, minimum: int = DEFAULT_MIN_SAMPLES) -> str:
    """Why a comparison is `insufficient` (which side is below `minimum`), or "" when it is not."""
    short = []
    if n_reference is not None and n_reference < minimum:
        short.append(f"reference {n_reference:,}")
    if n_current < minimum:
        short.append(f"current {n_current:,}")
    if not short:
        return ""
    return f"insufficient sample: {' and '.join(short)} < minimum {minimum:,}"
