"""What every screen needs from the app: the backends, the clock and the refresh policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.services.clock import Clock, utc_now

if TYPE_CHECKING:
    from console.services.backends import BackendSource

REFRESH_S = 10.0


@dataclass(frozen=True)
class Settings:
    """Shared, immutable settings handed to each screen when it is created."""

    source: BackendSource
    context_name: str
    clock: Clock = utc_now
    refresh_s: float = REFRESH_S
    timeout_s: float = 10.0
    window_minutes: int = 5
    keymap: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    live_ticks: bool = True
