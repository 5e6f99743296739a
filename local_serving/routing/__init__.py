"""Traffic routing: immutable weight tables swapped atomically, sticky by routing key."""

from __future__ import annotations

from local_serving.routing.table import TrafficTable, WeightsError, validate_weights

__all__ = ["TrafficTable", "WeightsError", "validate_weights"]
