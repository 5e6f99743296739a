"""Clocks the services and the TUI read time from, so tests can fix the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always says `at` (snapshots and tests must not see a live clock)."""
    return lambda: at
