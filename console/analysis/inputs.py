"""Reading analysis inputs: CSV / Parquet tables, ISO instants, durations and windows.

Errors are `InputError`s whose message names the file or the value and the
reason, so a command line can print them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
READERS = (".csv", ".tsv", ".parquet", ".pq")


class InputError(ValueError):
    """Unreadable or invalid input; the message says which and why."""


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A CSV, TSV or Parquet file as a frame; a missing column or empty file is an InputError."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in READERS:
        raise InputError(
            f"{file}: unknown format {suffix or '(none)'} (use .csv, .tsv or .parquet)"
        )
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",")
    except (OSError, ValueError, pd.errors.ParserError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{file}: cannot read: {reason}") from error
    except Exception as error:  # pyarrow raises its own types for corrupt files
        raise InputError(f"{file}: cannot read: {type(error).__name__}: {error}") from error
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            known = ", ".join(map(str, frame.columns[:20]))
            raise InputError(f"{file}: no column(s) {', '.join(missing)} (has: {known})")
    return frame


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (a trailing Z is fine) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise InputError(
            f"{text!r}: not an ISO-8601 instant (e.g. 2026-11-19T00:00:00Z)"
        ) from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """`24h`, `7d`, `30m`, `90s`, `2w` as a timedelta."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError(f"{text!r}: not a duration (e.g. 30m, 24h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_interval(text: str) -> tuple[datetime, datetime]:
    """`START/END` (two ISO instants) as a window."""
    parts = text.split("/")
    if len(parts) != 2:
        raise InputError(f"{text!r}: expected START/END, two ISO instants separated by '/'")
    start, end = parse_instant(parts[0]), parse_instant(parts[1])
    if end <= start:
        raise InputError(f"{text!r}: the end must be after the start")
    return start, end


def minute_after(moment: datetime) -> datetime:
    """The end of the whole minute holding `moment`: 12:34:56 → 12:35:00, 12:34:00 → 12:35:00."""
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def resolve_window(
    start: str | None,
    end: str | None,
    window: str | None,
    last: datetime | None,
    default: str = "24h",
) -> tuple[datetime, datetime]:
    """The [start, end) asked for: explicit instants, or a duration ending at `end` or `last`.

    Without `end`, the window ends at the close of the minute of the last
    logged request, so windows align to whole minutes and a 24h window holds
    exactly 24 hours (1,440 whole minutes) of data.
    """
    if start and window:
        raise InputError("give --start/--end or --window, not both")
    stop = parse_instant(end) if end else None
    if start:
        begin = parse_instant(start)
        stop = stop or (minute_after(last) if last else None)
        if stop is None:
            raise InputError("--start needs --end when the log has no data")
        if stop <= begin:
            raise InputError("--end must be after --start")
        return begin, stop
    if stop is None:
        if last is None:
            raise InputError("no data logged for this model, so no window to default to")
        stop = minute_after(last)
    return stop - parse_duration(window or default), stop
