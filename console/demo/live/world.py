"""The simulated world of the live demo: what the v3 canary's feature pipeline does while it runs.

v3 shipped with a new online-feature writer. While v3 takes traffic it writes
tablet `amount` in the wrong currency unit into the cache every version reads
(so every tablet request sees the inflated amount), and its cache leaks memory
on serve-a (so feature_fetch slows down and its p99 leaves the budget, and
more fetches come back incomplete: `fetch_failure_rate`). A rollback that takes
v3 to 0 % stops the writer: tablet amounts are right again at once, and the
memory pressure relaxes over about a minute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from console.demo.incident import CANARY_VERSION

PRESSURE_TAU_S = 20.0
FETCH_FAILURE_BASE = 0.001
FETCH_FAILURE_AT_FULL_PRESSURE = 0.02


def fetch_failure_rate(pressure: float) -> float:
    """Share of feature fetches that come back incomplete: the history's error rate.

    console/demo/history.py draws `errors_total` at 0.001 + 0.02 * pressure ** 3.
    """
    return FETCH_FAILURE_BASE + FETCH_FAILURE_AT_FULL_PRESSURE * pressure**3


@dataclass
class World:
    """The state the driver reads on every request; `observe` feeds it the server's split."""

    canary_on: bool = True
    pressure: float = 1.0

    def observe(self, weights: Mapping[str, int], elapsed_s: float) -> None:
        """Follow the live split: the writer runs while v3 has traffic; pressure relaxes to it."""
        self.canary_on = weights.get(CANARY_VERSION, 0) > 0
        target = 1.0 if self.canary_on else 0.0
        self.pressure += (target - self.pressure) * (1.0 - math.exp(-elapsed_s / PRESSURE_TAU_S))
