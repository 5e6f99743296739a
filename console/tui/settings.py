"""What every screen needs from the app: the backends, the clock and the refresh policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    replay_at: datetime | None = None
    """The past instant every screen shows while replaying (`--at`, `:at`); None when live."""
    live: Settings | None = field(default=None, repr=False, compare=False)
    """While replaying, the live settings that leaving the replay returns to."""

    @property
    def replaying(self) -> bool:
        """Whether the screens show a past instant (read-only) rather than now."""
        return self.replay_at is not None
