"""The logged requests of one slice, in a virtualised table (Textual's line API).

A slice of a 7-day window can hold 100,000 requests; the table formats only
the rows it shows (`VirtualTable`), so paging stays smooth. `d` opens the drift
view inside the slice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from console.services.slices_view import SlicesView, number, slice_label
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.virtual_table import ColumnRows, VirtualTable

if TYPE_CHECKING:
    import pandas as pd

    from console.analysis.slices import SliceMetric


class RequestsLoaded(Message):
    """The requests of the slice were read from the inference log."""

    def __init__(self, frame: pd.DataFrame) -> None:
        """Carry the requests, oldest first."""
        super().__init__()
        self.frame = frame


def cell_text(value: Any) -> str:
    """A cell: floats to 4 significant digits, missing as `-`, times to the second."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def time_text(value: Any) -> str:
    """`11-19 08:00:01` from a numpy datetime64 or a Timestamp."""
    text = str(value)
    return text[5:19].replace("T", " ") if len(text) >= 19 else text


def frame_rows(frame: pd.DataFrame) -> ColumnRows:
    """The frame's columns as arrays, each with its formatter (nothing formatted yet)."""
    columns: list[tuple[Any, Callable[[Any], str]]] = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        render = time_text if name == "ts" else cell_text
        columns.append((values, render))
    return ColumnRows(columns)


class SliceRequestsScreen(AnalysisScreen):
    """One slice's logged requests over the slices screen's window."""

    SCOPE = "requests"
    VIEW = "requests"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "slices.tcss"]
    AUTO_FOCUS = "#requests-table"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("requests")]

    def __init__(self, settings: Settings, view: SlicesView, row: SliceMetric) -> None:
        """The requests of `row` in the window `view` covers."""
        args = ViewArgs(model=view.window.model.name, window=view.window.asked)
        super().__init__(settings, args)
        self.crumbs = (*self.crumbs[:-1], "slices", slice_label(row.predicates))
        self.slices = view
        self.window = view.window
        self.slice = row
        self.count: int | None = None

    def compose_main(self) -> Iterable[Widget]:
        """The virtual table and the position line."""
        yield VirtualTable(id="requests-table", empty_text="reading the inference log…")
        yield Static("", id="requests-detail", markup=False)

    def progress_text(self) -> str:
        """What the status bar says while the requests are read."""
        return f"reading the requests of {slice_label(self.slice.predicates)}…"

    def load(self) -> RequestsLoaded:
        """The slice's requests (in a worker thread)."""
        from console.services.slices_view import slice_requests

        assert self.window is not None
        return RequestsLoaded(slice_requests(self.source, self.window, self.slice.predicates))

    def on_requests_loaded(self, message: RequestsLoaded) -> None:
        """Fill the table; a refresh keeps the cursor where it was."""
        frame = message.frame
        table = self.query_one("#requests-table", VirtualTable)
        headers = [str(name).upper() for name in frame.columns]
        table.show(
            headers,
            frame_rows(frame),
            empty_text="no logged request in this slice and window",
            keep_cursor=self.count is not None,
        )
        self.count = len(frame)
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place this screen's widgets change."""
        row = self.slice
        metric = self.slices.choice.label
        overall = number(self.slices.table.overall)
        count = "…" if self.count is None else f"{self.count:,}"
        window = self.window.label() if self.window is not None else self.window_text
        self.set_head(
            f"{slice_label(row.predicates)} · {count} requests · {window}",
            f"{metric} {number(row.metric)} here ({row.support:,} with a value), "
            f"{overall} overall · from the inference log",
        )
        self.render_detail()
        self.render_filter()
        self.render_status()

    def render_detail(self) -> None:
        """Where the cursor is, and what `d` does."""
        table = self.query_one("#requests-table", VirtualTable)
        self.query_one("#requests-detail", Static).update(
            f"{table.position_text()} · PgDn/PgUp page · d: drift inside this slice"
        )

    def on_virtual_table_cursor_moved(self, event: VirtualTable.CursorMoved) -> None:
        """Keep the position line current."""
        event.stop()
        self.render_detail()

    def action_drift_in_slice(self) -> None:
        """The drift view inside this slice."""
        from console.tui.screens.slices import open_drift_in

        open_drift_in(self, self.slice)

    def focus_body(self) -> None:
        """The table has the focus."""
        self.query_one("#requests-table", VirtualTable).focus()
