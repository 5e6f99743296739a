"""The timeline screen's data: the merged incident timeline of a window, filtered and ordered.

Events come from `console.analysis.workspace.model_timeline` over the window
`vigil timeline` defaults to (72 h), so the screen and
`vigil timeline --model M --window 72h --json` list the same events. A feature
store that knows when features went stale (`SupportsStaleEvents`, e.g. Feast)
adds them on the data layer; when it cannot be read, only that source is
missing and the view says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from backends.contracts import FeatureStore, SupportsStaleEvents
from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow, twin_command
from console.services.clock import Clock, just_after, utc_now

if TYPE_CHECKING:
    from backends.contracts import TimelineEvent
    from console.analysis.timeline import Event, Timeline

TIMELINE_WINDOW = "72h"
ALL = "all"
STALE_READ_TIMEOUT_S = 15.0


@runtime_checkable
class HasFeatures(Protocol):
    """A source with a feature store, as `console.config.Context` has."""

    @property
    def features(self) -> FeatureStore:
        """The feature store."""
        ...


@dataclass(frozen=True)
class TimelineView:
    """A window's timeline and the headless twin's command."""

    window: AnalysisWindow
    timeline: Timeline
    twin: str
    degraded: tuple[tuple[str, str], ...] = ()

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


def compute_timeline(
    source: Sources, window: AnalysisWindow, clock: Clock = utc_now
) -> TimelineView:
    """The timeline of the model over the window, with the actions taken up to `clock()`."""
    from console.analysis.workspace import model_timeline

    # as `vigil timeline` without --end: the actions since the last logged request belong on
    # it, up to the clock's instant (one at the replayed instant itself included)
    until = None if window.explicit else just_after(clock())
    timeline = model_timeline(source, window.model, window.start, window.end, actions_until=until)
    timeline, degraded = with_stale_features(
        source, window.model.name, timeline, window.start, until or window.end
    )
    return TimelineView(
        window=window,
        timeline=timeline,
        twin=twin_command("timeline", window),
        degraded=degraded,
    )


def with_stale_features(
    source: object, model: str, timeline: Timeline, start: datetime, now: datetime
) -> tuple[Timeline, tuple[tuple[str, str], ...]]:
    """The timeline plus the feature store's stale-feature events at `now`.

    A store without `SupportsStaleEvents` adds nothing. One that fails or
    hangs adds nothing either, and comes back as `(source, reason)`, so the
    rest of the timeline still shows.
    """
    from backends.capabilities import supports
    from console.analysis.timeline import Timeline
    from console.services.reading import describe_error, read

    try:
        store = source.features if isinstance(source, HasFeatures) else None
    except Exception as error:  # a feature store that cannot even be built
        return timeline, (("features", describe_error(error)),)
    if not isinstance(store, SupportsStaleEvents) or not supports(store, SupportsStaleEvents):
        return timeline, ()
    reading = read(
        lambda: store.stale_events(model, now), source="features", timeout_s=STALE_READ_TIMEOUT_S
    )
    if reading.error is not None or reading.value is None:
        return timeline, (("features", reading.error or "no answer"),)
    added = [_stale_event(event, start) for event in reading.value]
    # ordered as build_timeline orders (deploys were merged already, so not merged again)
    merged = sorted([*timeline.events, *added], key=lambda e: (e.at, not e.signal, e.summary))
    return Timeline(tuple(merged)), ()


def _stale_event(event: TimelineEvent, start: datetime) -> Event:
    """A stale feature as a data-layer signal (stale since before the window: at its start)."""
    from console.analysis.timeline import Event

    detail = dict(event.detail)
    if event.at < start:
        detail["stale_since"] = event.at.isoformat()
    return Event(
        max(event.at, start), event.kind, "data", event.summary, event.source, True, detail
    )


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
