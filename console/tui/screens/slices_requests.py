"""The logged requests of one slice, in a virtualised table (Textual's line API).

A slice of a 7-day window can hold 100,000 requests; the table formats only
the rows it shows (`VirtualTable`), so paging stays smooth. `d` opens the drift
view inside the slice; with a feature store that serves online features, `f`
shows the selected request's entity and its features now (read in a worker).
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
from textual.worker import get_current_worker

from console.services.slices_view import SlicesView, number, slice_label
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.online_features import OnlineFeaturesPanel
from console.tui.widgets.virtual_table import ColumnRows, VirtualTable

if TYPE_CHECKING:
    import pandas as pd

    from backends.contracts import SupportsOnlineFeatures
    from console.analysis.slices import SliceMetric
    from console.services.online_features import OnlineFeatures


class RequestsLoaded(Message):
    """The requests of the slice were read from the inference log."""

    def __init__(self, frame: pd.DataFrame) -> None:
        """Carry the requests, oldest first."""
        super().__init__()
        self.frame = frame


class OnlineFeaturesRead(Message):
    """The feature store answered (or failed) for the selected request's entity."""

    def __init__(self, answer: OnlineFeatures) -> None:
        """Carry the answer."""
        super().__init__()
        self.answer = answer


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
        self.frame: pd.DataFrame | None = None
        self._store: tuple[SupportsOnlineFeatures | None] | None = None

    def compose_main(self) -> Iterable[Widget]:
        """The virtual table and the position line."""
        yield VirtualTable(id="requests-table", empty_text="reading the inference log…")
        yield Static("", id="requests-detail", markup=False)
        yield OnlineFeaturesPanel("", id="online-features", markup=False)

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
        self.frame = frame
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
        """Where the cursor is, and what `d` (and `f`, with a feature store) does."""
        table = self.query_one("#requests-table", VirtualTable)
        features = " · f: online features" if self.online_store() is not None else ""
        self.query_one("#requests-detail", Static).update(
            f"{table.position_text()} · PgDn/PgUp page · d: drift inside this slice{features}"
        )

    def on_virtual_table_cursor_moved(self, event: VirtualTable.CursorMoved) -> None:
        """Keep the position line current."""
        event.stop()
        self.render_detail()

    def action_drift_in_slice(self) -> None:
        """The drift view inside this slice."""
        from console.tui.screens.slices import open_drift_in

        open_drift_in(self, self.slice)

    def online_store(self) -> SupportsOnlineFeatures | None:
        """The context's feature store if it serves online features (asked once, nothing sent)."""
        if self._store is None:
            from console.services.online_features import online_store

            self._store = (online_store(self.settings.source),)
        return self._store[0]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`f` is bound, and in the footer, only where the feature store serves online features."""
        if action == "online_features":
            return self.online_store() is not None
        return super().check_action(action, parameters)

    def selected_row(self) -> dict[str, Any] | None:
        """The logged request under the cursor, column -> value (None before any is shown)."""
        table = self.query_one("#requests-table", VirtualTable)
        if self.frame is None or table.row_count == 0:
            return None
        index = table.source_index(table.cursor_row)
        return {str(k): v for k, v in self.frame.iloc[index].items()}

    def action_online_features(self) -> None:
        """Read the selected request's entity's online features in a worker, for the panel."""
        store, row = self.online_store(), self.selected_row()
        if store is None or row is None:
            return
        panel = self.query_one("#online-features", OnlineFeaturesPanel)
        panel.reading(f"request {row.get('request_id', '')}".strip())
        model = self.slice_model()
        self.run_worker(
            lambda: self._read_features(store, model, row),
            thread=True,
            exclusive=True,
            group="online-features",
            exit_on_error=False,
        )

    def slice_model(self) -> str:
        """The model whose requests these are."""
        return self.window.model.name if self.window is not None else self.view_args.model or ""

    def _read_features(
        self, store: SupportsOnlineFeatures, model: str, row: dict[str, Any]
    ) -> None:
        """Worker: ask the feature store, then post the answer (a failure is in the answer)."""
        from console.services.online_features import entity_features

        answer = entity_features(store, model, row)
        if not get_current_worker().is_cancelled:
            self.post_message(OnlineFeaturesRead(answer))

    def on_online_features_read(self, message: OnlineFeaturesRead) -> None:
        """Show the answer in the panel only."""
        self.query_one("#online-features", OnlineFeaturesPanel).show_answer(message.answer)

    def focus_body(self) -> None:
        """The table has the focus."""
        self.query_one("#requests-table", VirtualTable).focus()
