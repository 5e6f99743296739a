"""The staleness-aware status bar: per backend, fresh or `stale for 7 min`, and any error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from console.services.reading import Reading, format_age, staleness
from console.tui.widgets.line import Line


def summarize(
    readings: Mapping[str, Reading[Any]], now: datetime, fresh_s: float, note: str = ""
) -> str:
    """One line: problems first (errors spelled out, staleness), then the sources that are fine."""
    worst: dict[str, Reading[Any]] = {}
    for reading in readings.values():
        held = worst.get(reading.source)
        if held is None or _rank(reading, now) > _rank(held, now):
            worst[reading.source] = reading
    problems: list[str] = []
    fine: list[str] = []
    for source in sorted(worst):
        reading = worst[source]
        state = staleness(reading, now, fresh_s)
        if reading.ok and state == "fresh":
            fine.append(source)
        elif reading.error:
            problems.append(f"✗ {source}: {reading.error} ({state})")
        else:
            problems.append(f"~ {source}: {state}")
    parts = [*problems, *([f"OK {' '.join(fine)}"] if fine else [])]
    if note:
        parts.append(note)
    return " · ".join(parts) if parts else "loading…"


def _rank(reading: Reading[Any], now: datetime) -> tuple[bool, float]:
    """Errors first, then the oldest."""
    return (not reading.ok, reading.age_s(now))


def data_age(latest: datetime | None, now: datetime) -> str:
    """How old the newest data point is: `data to 11-20 14:00 UTC (3 d old)`."""
    if latest is None:
        return "no data"
    return f"data to {latest:%m-%d %H:%M} UTC ({format_age((now - latest).total_seconds())} old)"


class StatusBar(Line):
    """Updated by its screen's single render method and by a one-second staleness tick."""

    def __init__(self) -> None:
        """Start with a loading message: the first frame paints before any backend answers."""
        super().__init__("loading…", id="status-bar", markup=False)
