"""Clocks the services and the TUI read time from: tests fix the time, replay stops it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

RELATIVE = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*([smhdw])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
NOW_WORDS = frozenset({"now", "live"})


class InstantError(ValueError):
    """A replay instant that cannot be read, or one in the future: the message says which."""


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always says `at` (snapshots, tests and replay must not see a live clock)."""
    return lambda: at


def just_after(at: datetime) -> datetime:
    """The end of a half-open [start, end) that still holds `at`: as of an instant includes it."""
    return at + timedelta(microseconds=1)


def iso_minute(at: datetime) -> str:
    """`2026-11-18T08:00Z`: a replay instant in UTC, to the minute unless it has seconds."""
    moment = at.astimezone(UTC)
    shape = "%Y-%m-%dT%H:%M:%SZ" if moment.second or moment.microsecond else "%Y-%m-%dT%H:%MZ"
    return moment.strftime(shape)


def parse_replay_instant(text: str, now: datetime) -> datetime | None:
    """`2026-11-18T08:00Z`, `2026-11-18T08:00` (UTC), `-2h` (before `now`), or `now` (None).

    A relative form counts from `now`: the wall clock on the command line, the
    instant being replayed inside the console. The future is refused: there is
    nothing recorded there yet.
    """
    words = text.strip()
    if not words:
        raise InstantError("give an instant: 2026-11-18T08:00Z, -2h, or now")
    if words.lower() in NOW_WORDS:
        return None
    relative = RELATIVE.match(words)
    if relative is not None:
        sign, amount, unit = relative.groups()
        delta = timedelta(seconds=float(amount) * UNIT_SECONDS[unit])
        moment = now - delta if sign == "-" else now + delta
    else:
        try:
            parsed = datetime.fromisoformat(words.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise InstantError(
                f"{words!r}: not an instant (ISO-8601 such as 2026-11-18T08:00Z, "
                "a relative -30m / -2h / -1d, or now)"
            ) from None
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if moment > utc_now():
        raise InstantError(f"{iso_minute(moment)} is in the future: replay shows only the past")
    return moment
