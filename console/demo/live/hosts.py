"""Host metrics of the live demo: serve-a and serve-b per minute, on the history's curves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from console.demo.catalog import HOSTS
from console.demo.history import diurnal, host_values
from console.demo.incident import PRESSURE_HOST

if TYPE_CHECKING:
    import pandas as pd


def host_frame(minute: float, pressure: float, rng: np.random.Generator) -> pd.DataFrame:
    """One minute of host metric points for every demo host; `pressure` is serve-a's."""
    import pandas as pd

    ts = np.array([minute])
    rows = []
    for host, capacity in HOSTS.items():
        level = np.array([pressure if host == PRESSURE_HOST else 0.0])
        for name, values in host_values(capacity, level, diurnal(ts), rng).items():
            rows.append({"name": name, "labels": {"host": host}, "ts": minute, "value": values[0]})
    return pd.DataFrame(rows)


def write_host_minute(
    workspace: Path, minute: float, pressure: float, rng: np.random.Generator
) -> None:
    """Write one minute of host metrics to the workspace's metric store."""
    from backends.embedded import EmbeddedBackend

    frame = host_frame(minute, pressure, rng)
    backend = EmbeddedBackend(workspace=str(workspace))
    try:
        backend.write_points(frame)
    finally:
        backend.close()
