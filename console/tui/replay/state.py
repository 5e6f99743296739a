"""Entering, stepping and leaving a replay: settings in, settings out (no Textual here).

The screens take an instant, not a second code path: replaying swaps the
settings' source for a `ReplaySource` cut at the instant and stops the clock
there, so every window of every screen ends at it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from console.services.clock import InstantError, fixed_clock, iso_minute, utc_now
from console.tui.settings import Settings

READ_ONLY_MARK = "(read-only)"


def enter_replay(settings: Settings, at: datetime) -> Settings:
    """Settings that show `at`: the source cut there, the clock stopped there, read-only."""
    from console.services.replay import ReplaySource  # the contracts: off the first frame's path

    live = live_settings(settings)
    name = live.context_name
    if not name.endswith(READ_ONLY_MARK):
        name = f"{name} {READ_ONLY_MARK}"
    return replace(
        live,
        source=ReplaySource(live.source, at),
        context_name=name,
        clock=fixed_clock(at),
        live_ticks=False,
        replay_at=at,
        live=live,
    )


def live_settings(settings: Settings) -> Settings:
    """The live settings a replay started from (the settings themselves when live)."""
    return settings.live if settings.live is not None else settings


def stepped(settings: Settings, minutes: int) -> datetime:
    """The replayed instant moved by `minutes`; InstantError past now or when not replaying."""
    if settings.replay_at is None:
        raise InstantError("not replaying: :at TIME starts a replay")
    moved = settings.replay_at + timedelta(minutes=minutes)
    if moved > utc_now():
        raise InstantError(f"{iso_minute(moved)} is in the future: :at now goes back to live")
    return moved


def banner_text(settings: Settings, keys: str = "") -> str:
    """`REPLAY 2026-11-18T08:00Z (read-only)`, then how to step and leave: words, not colour."""
    if settings.replay_at is None:
        return ""
    head = f"REPLAY {iso_minute(settings.replay_at)} {READ_ONLY_MARK}"
    return f"{head} · {keys}" if keys else head


def asked_instant(words: str, settings: Settings) -> datetime | None:
    """`:at TIME`: the instant asked for (relative to the one shown), None for `now`."""
    from console.services.clock import parse_replay_instant

    return parse_replay_instant(words, settings.replay_at or settings.clock())


def replayed_twin(command: str, settings: Settings) -> str:
    """A screen's headless twin while replaying: `vigil --at T ...` prints the same numbers."""
    if settings.replay_at is None or not command.startswith("vigil "):
        return command
    return f"vigil --at {iso_minute(settings.replay_at)} {command.removeprefix('vigil ')}"
