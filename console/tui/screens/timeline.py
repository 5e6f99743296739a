"""The timeline screen: one ordered incident timeline across layers, and the layer that moved first.

The events are those of `vigil timeline --json` for the same model and window
(`console.services.timeline_view.compute_timeline`), in a line-API table so a
long timeline stays fast. `o` flips the order, `l` and `K` filter by layer and
kind, Enter shows an event's details.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from console.services.timeline_view import (
    TIMELINE_WINDOW,
    TimelineFilter,
    TimelineView,
    event_details,
    next_choice,
    visible_events,
)
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.virtual_table import GAP, ListRows, VirtualTable

if TYPE_CHECKING:
    from console.analysis.timeline import Event

HEADERS = ("TIME (UTC)", "LAYER", "KIND", "", "WHAT")
FIRST_MARK = "*"
SIGNAL_MARK = "!"
WIDE_FROM = 100
SHORT_LAYERS = {"infrastructure": "infra", "business": "biz"}


class TimelineLoaded(Message):
    """The timeline was built for the screen's window."""

    def __init__(self, view: TimelineView) -> None:
        """Carry the timeline."""
        super().__init__()
        self.view = view


def event_cells(event: Event, first_move: Event | None, narrow: bool = False) -> tuple[str, ...]:
    """One event's row: time, layer (`infra` when narrow), kind, `*` first / `!` signal, summary."""
    mark = FIRST_MARK if event is first_move else (SIGNAL_MARK if event.signal else "")
    layer = SHORT_LAYERS.get(event.layer, event.layer) if narrow else event.layer
    return (f"{event.at:%m-%d %H:%M}", layer, event.kind, mark, event.summary)


class EventDetails(ModalScreen[None]):
    """One event in full; Escape (or Enter, q) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("details")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        """The fields to show."""
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """A framed list of fields."""
        width = max(len(key) for key, _ in self.rows)
        text = "\n".join(f"{key.ljust(width)}  {value}" for key, value in self.rows)
        with VerticalScroll(id="event-panel"):
            yield Static("Event · Escape closes", id="event-title", markup=False)
            yield Static(text, id="event-body", markup=False)

    def action_close(self) -> None:
        """Back to the timeline."""
        self.dismiss(None)


class TimelineScreen(AnalysisScreen):
    """The merged timeline of one model over the last 72 h of its data."""

    SCOPE = "timeline"
    VIEW = "timeline"
    DEFAULT_WINDOW = TIMELINE_WINDOW
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "timeline.tcss"]
    AUTO_FOCUS = "#timeline-table"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("timeline")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The timeline of `args.model` (72 h ending at its last logged request, as the CLI)."""
        super().__init__(settings, args)
        self.view: TimelineView | None = None
        self.chosen = TimelineFilter()
        self.events_shown: list[Event] = []

    def compose_main(self) -> Iterable[Widget]:
        """The event table."""
        yield VirtualTable(id="timeline-table", empty_text="building the timeline…")

    def load(self) -> TimelineLoaded:
        """Resolve the window and build the timeline (in a worker thread)."""
        from console.services.analysis_window import resolve_analysis_window
        from console.services.timeline_view import compute_timeline

        window = resolve_analysis_window(
            self.source, self.view_args.model, self.window_text, self.DEFAULT_WINDOW
        )
        return TimelineLoaded(compute_timeline(self.source, window, self.settings.clock))

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        """Keep the timeline and redraw (the cursor stays on a refresh)."""
        first = self.view is None
        self.view = message.view
        self.window = message.view.window
        self.loaded_at = self.settings.clock()
        self.render_view(keep_cursor=not first)

    def render_view(self, keep_cursor: bool = False) -> None:
        """The one place the timeline screen's widgets are updated."""
        table = self.query_one("#timeline-table", VirtualTable)
        view = self.view
        if view is None:
            self.set_head(self.window_line(), "building the timeline…")
            self.render_status()
            return
        timeline = view.timeline
        move = timeline.first_move
        moved = (
            f"moved first ({FIRST_MARK}): the {move.layer} layer — {move.summary}"
            if move
            else "nothing moved in this window"
        )
        self.events_shown = visible_events(timeline, self.chosen)
        self.set_head(
            f"{self.window_line()} · {len(self.events_shown)} of {len(timeline.events)} events",
            moved,
            f"{self.chosen.describe()} · {SIGNAL_MARK} a metric moved · from the registry, "
            "incidents, audit log, metrics and inference log",
            *(f"{role} unavailable, its events are missing: {why}" for role, why in view.degraded),
            f"= {self.twin(view.twin)}",
        )
        narrow = self.size.width < WIDE_FROM
        rows = [event_cells(event, move, narrow) for event in self.events_shown]
        fixed = [11, 5 if narrow else 14, max([4, *(len(r[2]) for r in rows)]), 1]
        room = table.scrollable_content_region.width or self.size.width - 6
        what = max(20, room - sum(fixed) - GAP * len(fixed))
        empty = (
            f"no event of layer {self.chosen.layer} and kind {self.chosen.kind} (l / K change it)"
            if timeline.events
            else "no event in this window"
        )
        table.show(
            HEADERS,
            ListRows(rows),
            widths=[*fixed, what],
            empty_text=empty,
            keep_cursor=keep_cursor,
        )
        self.render_filter()
        self.render_status()

    def on_resize(self) -> None:
        """The summary column takes the width that is left."""
        if self.view is not None:
            self.render_view(keep_cursor=True)

    def action_toggle_order(self) -> None:
        """Newest first, or oldest first."""
        self.chosen = replace(self.chosen, newest_first=not self.chosen.newest_first)
        self.render_view()

    def action_cycle_layer(self) -> None:
        """Show the next layer (or all)."""
        if self.view is not None:
            self.chosen = replace(
                self.chosen, layer=next_choice(self.view.layers(), self.chosen.layer)
            )
            self.render_view()

    def action_cycle_kind(self) -> None:
        """Show the next kind of event (or all)."""
        if self.view is not None:
            self.chosen = replace(
                self.chosen, kind=next_choice(self.view.kinds(), self.chosen.kind)
            )
            self.render_view()

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        """Enter on an event shows its details."""
        event.stop()
        self.show_details(event.index)

    def action_open_selected(self) -> None:
        """Details of the event under the cursor."""
        table = self.query_one("#timeline-table", VirtualTable)
        if table.row_count:
            self.show_details(table.source_index(table.cursor_row))

    def action_note(self) -> None:
        """`n`: a note on this model's timeline, written by an audited annotate step."""
        from console.tui.screens.acting import open_note

        open_note(self.app, self.settings, self.view_args.model)

    def show_details(self, index: int) -> None:
        """Open the details of the `index`-th shown event."""
        if self.view is None or not 0 <= index < len(self.events_shown):
            return
        rows = event_details(self.events_shown[index], self.view.timeline.first_move)
        self.app.push_screen(EventDetails(rows))

    def focus_body(self) -> None:
        """The table has the focus."""
        self.query_one("#timeline-table", VirtualTable).focus()
