"""Cell text for the screens: words and symbols, never colour alone (NO_COLOR must read)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from console.services.reading import Reading, format_age

if TYPE_CHECKING:
    from console.services.metrics_window import P99, ErrorRate

T = TypeVar("T")

STALE_MARK = "~"
ERROR_MARK = "✗"


def cell(reading: Reading[T], render: Callable[[T], str], now: datetime, fresh_s: float) -> str:
    """A value as text; `~` marks a stale or kept-after-failure value, `✗` a missing one."""
    if reading.value is None:
        return f"{ERROR_MARK} error" if reading.error else "-"
    text = render(reading.value)
    if not reading.ok or reading.age_s(now) > fresh_s:
        return f"{STALE_MARK}{text}"
    return text


def traffic_text(weights: Mapping[str, int]) -> str:
    """`v3:90 v4:10`, heaviest first; `-` when nothing is served."""
    if not weights:
        return "-"
    ordered = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return " ".join(f"v{version}:{weight}" for version, weight in ordered)


def error_rate_text(value: ErrorRate) -> str:
    """`0.42 %`, or `-` when there were no requests in the window."""
    rate = value.rate
    return "-" if rate is None else f"{rate * 100:.2f} %"


def p99_text(value: P99, slo_ms: float | None) -> str:
    """`87/100 ok` or `142/100 ▲ OVER` against the SLO; `87 ms` without one."""
    if value.value_ms is None:
        return "-"
    if slo_ms is None:
        return f"{value.value_ms:.0f} ms"
    verdict = "▲ OVER" if value.value_ms > slo_ms else "ok"
    return f"{value.value_ms:.0f}/{slo_ms:.0f} {verdict}"


def age_text(latest: datetime, now: datetime) -> str:
    """How old a data point is: `3 d`, `40 s`."""
    return format_age(max(0.0, (now - latest).total_seconds()))


def short_hash(value: str, width: int = 10) -> str:
    """The first characters of a hash, enough to compare by eye."""
    return value[:width] if value else "-"


def when(at: datetime | None) -> str:
    """A timestamp in UTC, minute precision."""
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M}"


def fresh_limit(refresh_s: float) -> float:
    """A value older than two refresh periods (at least 30 s) counts as stale."""
    return max(2 * refresh_s, 30.0)
