"""The timeline screen's data: the merged incident timeline of a window, filtered and ordered.

Events come from `console.analysis.workspace.model_timeline` over the window
`vigil timeline` defaults to (72 h), so the screen and
`vigil timeline --model M --window 72h --json` list the same events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command

if TYPE_CHECKING:
    from console.analysis.timeline import Event, Timeline

TIMELINE_WINDOW = "72h"
ALL = "all"


@dataclass(frozen=True)
class TimelineView:
    """A window's timeline and the headless twin's command."""

    window: AnalysisWindow
    timeline: Timeline
    twin: str

    def layers(self) -> tuple[str, ...]:
        """`all` then the layers present, in the analysis core's order."""
        from console.analysis.timeline import LAYERS

        present = {event.layer for event in self.timeline.events}
        return (ALL, *(layer for layer in LAYERS if layer in present))

    def kinds(self) -> tuple[str, ...]:
        """`all` then the kinds present, alphabetically."""
        return (ALL, *sorted({event.kind for event in self.timeline.events}))


@dataclass(frozen=True)
class TimelineFilter:
    """Which events show: one layer or all, one kind or all, newest or oldest first."""

    layer: str = ALL
    kind: str = ALL
    newest_first: bool = False

    def describe(self) -> str:
        """`oldest first · layer all · kind all`."""
        order = "newest first" if self.newest_first else "oldest first"
        return f"{order} · layer {self.layer} · kind {self.kind}"


def compute_timeline(source: Sources, window: AnalysisWindow) -> TimelineView:
    """The timeline of the model over the window."""
    from datetime import UTC, datetime

    from console.analysis.workspace import model_timeline

    # as `vigil timeline` without --end: the actions since the last logged request belong on it
    until = None if window.explicit else datetime.now(UTC)
    timeline = model_timeline(source, window.model, window.start, window.end, actions_until=until)
    return TimelineView(window=window, timeline=timeline, twin=twin_command("timeline", window))


def visible_events(timeline: Timeline, chosen: TimelineFilter) -> list[Event]:
    """The events the filter keeps, in the order it asks for."""
    kept = [
        event
        for event in timeline.events
        if chosen.layer in (ALL, event.layer) and chosen.kind in (ALL, event.kind)
    ]
    return kept[::-1] if chosen.newest_first else kept


def next_choice(options: Sequence[str], current: str) -> str:
    """The option after `current`, wrapping round (`all` when `current` vanished)."""
    if current not in options:
        return ALL
    return options[(options.index(current) + 1) % len(options)]


def event_details(event: Event, first_move: Event | None) -> list[tuple[str, str]]:
    """Field → text for the details panel: when, layer, kind, source, signal, then the detail."""
    rows: list[tuple[str, str]] = [
        ("at", f"{event.at:%Y-%m-%d %H:%M:%S} UTC"),
        ("layer", event.layer + ("  (moved first)" if event is first_move else "")),
        ("kind", event.kind),
        ("signal", "yes: a metric moved" if event.signal else "no: an action or a change"),
        ("source", event.source or "-"),
        ("what", event.summary),
    ]
    rows.extend((str(key), _plain(value)) for key, value in sorted(event.detail.items()))
    return rows


def _plain(value: Any) -> str:
    """A detail value as one line of text."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)
