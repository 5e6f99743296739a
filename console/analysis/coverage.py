"""What a window's data covers: rows, first and last request, and the longest stretch without any.

A window that mixes a stored history with a few live requests, or that
holds data for only a sliver of its span, says so instead of passing for a
full window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

PARTIAL_SHARE = 0.5
GAP_SHARE = 0.25


@dataclass(frozen=True)
class Coverage:
    """The rows of [start, end), their first and last instant, and the longest gap between them."""

    start: datetime
    end: datetime
    rows: int
    first: datetime | None = None
    last: datetime | None = None
    gap_start: datetime | None = None
    gap_end: datetime | None = None

    @property
    def note(self) -> str:
        """A warning when the data does not cover the window, else ""."""
        span = self.end - self.start
        if self.rows == 0 or self.first is None or self.last is None:
            return "no data in the window"
        notes = []
        if self.last - self.first < span * PARTIAL_SHARE:
            notes.append(
                f"data covers only {_at(self.first)}..{_at(self.last)} "
                f"({_span(self.last - self.first)} of a {_span(span)} window)"
            )
        if self.gap_start and self.gap_end and self.gap_end - self.gap_start > span * GAP_SHARE:
            notes.append(
                f"no data from {_at(self.gap_start)} to {_at(self.gap_end)} "
                f"({_span(self.gap_end - self.gap_start)})"
            )
        return "; ".join(notes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values with the note."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": self.rows,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "gap_start": self.gap_start.isoformat() if self.gap_start else None,
            "gap_end": self.gap_end.isoformat() if self.gap_end else None,
            "note": self.note,
        }


def coverage(stamps: pd.Series, start: datetime, end: datetime) -> Coverage:
    """The coverage of [start, end) by the request instants `stamps` (the window's `ts`)."""
    if stamps.empty:
        return Coverage(start, end, 0)
    epoch = pd.to_datetime(stamps, utc=True).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    epoch = np.sort(epoch)
    edges = np.concatenate(([_ns(start)], epoch, [_ns(end)]))
    widest = int(np.argmax(np.diff(edges)))
    return Coverage(
        start,
        end,
        int(epoch.size),
        _instant(int(epoch[0])),
        _instant(int(epoch[-1])),
        _instant(int(edges[widest])),
        _instant(int(edges[widest + 1])),
    )


def _ns(moment: datetime) -> int:
    """An aware instant as integer nanoseconds since the epoch."""
    return int(pd.Timestamp(moment).value)


def _instant(ns: int) -> datetime:
    """Integer nanoseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _at(moment: datetime) -> str:
    """`11-19 23:55` (UTC)."""
    return f"{moment:%m-%d %H:%M}"


def _span(delta: timedelta) -> str:
    """`3 d`, `5 h`, `12 min` or `40 s`, rounded down."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
