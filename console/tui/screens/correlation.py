"""The correlation screen: infrastructure series against model metrics, with lag, and one plotted.

Each pair's r, best lag and leader are those of
`vigil timeline --correlate SELECTOR [--against SELECTOR] --json` for the same
model and window (`console.services.correlation_view.compute_correlation`);
the line under the table names that command for the selected pair, and the
plot shows the pair on one time axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from console.services.correlation_view import (
    CORRELATION_WINDOW,
    CorrelationPair,
    CorrelationView,
    aligned,
    lead_text,
    pair_cells,
    short_metric,
)
from console.services.reading import format_age
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.plot import MARKERS, LinePlot, PlotLine, legend
from console.tui.widgets.table import VigilTable

HEADERS = ("INFRASTRUCTURE", "MODEL METRIC", "R", "BEST LAG", "LEADS")


class CorrelationLoaded(Message):
    """Every pair was correlated for the screen's window."""

    def __init__(self, view: CorrelationView) -> None:
        """Carry the pairs and their series."""
        super().__init__()
        self.view = view


class CorrelationScreen(AnalysisScreen):
    """Which infrastructure series moves with the model, and which moves first."""

    SCOPE = "correlation"
    VIEW = "correlation"
    DEFAULT_WINDOW = CORRELATION_WINDOW
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "correlation.tcss"]
    AUTO_FOCUS = "#pairs"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("correlation")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """Correlations of `args.model` over 72 h ending at its last logged request."""
        super().__init__(settings, args)
        self.view: CorrelationView | None = None

    def compose_main(self) -> Iterable[Widget]:
        """The pairs, the selected pair's line, and its plot."""
        table = VigilTable(id="pairs", cursor_type="row", empty_text="correlating…")
        table.add_columns(*HEADERS)
        yield table
        yield Static("", id="pair-detail", markup=False)
        yield LinePlot(id="pair-plot")

    def load(self) -> CorrelationLoaded:
        """Resolve the window and correlate every pair (in a worker thread)."""
        from console.services.analysis_window import resolve_analysis_window
        from console.services.correlation_view import compute_correlation

        window = resolve_analysis_window(
            self.source, self.view_args.model, self.window_text, self.DEFAULT_WINDOW
        )
        return CorrelationLoaded(compute_correlation(self.source, window))

    def on_correlation_loaded(self, message: CorrelationLoaded) -> None:
        """Keep the pairs and redraw."""
        self.view = message.view
        self.window = message.view.window
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the correlation screen's widgets are updated."""
        view = self.view
        table = self.query_one("#pairs", VigilTable)
        if view is None:
            self.set_head(self.window_line(), "correlating every pair…")
            self.render_status()
            return
        step = format_age(view.step_s)
        self.set_head(
            f"{self.window_line()} · {len(view.pairs)} pairs by |r|",
            f"metric store + inference log · lag steps {step} (±60); > 0: infra moves first",
        )
        rows = [(str(index), pair_cells(pair)) for index, pair in enumerate(view.pairs)]
        table.show_rows(rows, "no infrastructure series in the metric store")
        self.render_pair()
        self.render_filter()
        self.render_status()

    def selected_pair(self) -> CorrelationPair | None:
        """The pair under the cursor."""
        key = self.query_one("#pairs", VigilTable).selected_key()
        if self.view is None or key is None:
            return None
        return self.view.pairs[int(key)]

    def render_pair(self) -> None:
        """The selected pair's verdict, its headless command, and both series on one axis."""
        pair = self.selected_pair()
        detail = self.query_one("#pair-detail", Static)
        plot = self.query_one("#pair-plot", LinePlot)
        if pair is None or self.view is None:
            detail.update("")
            plot.show("", ())
            return
        detail.update(f"{lead_text(pair)} · = {self.twin(pair.twin)}")
        grid, x_values, y_values = aligned(self.view, pair)
        start = self.view.window.start.timestamp()
        hours = [(t - start) / 3600 for t in grid]
        lines = [
            PlotLine(pair.infra, hours, list(x_values), MARKERS[0]),
            PlotLine(short_metric(pair.model_metric), hours, list(y_values), MARKERS[1], True),
        ]
        plot.show(
            f"x: hours since {self.view.window.start:%m-%d %H:%M} UTC · {legend(lines)}",
            lines,
            "no points in common",
        )

    def on_data_table_row_highlighted(self, event: VigilTable.RowHighlighted) -> None:
        """Plot the pair under the cursor."""
        event.stop()
        self.render_pair()

    def on_data_table_row_selected(self, event: VigilTable.RowSelected) -> None:
        """Enter keeps the pair plotted (the plot follows the cursor)."""
        event.stop()
        self.render_pair()
