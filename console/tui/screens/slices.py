"""The slices screen: the worst slices of one and two predicates for a metric, worst first.

The table is the one `vigil slices --json` prints for the same model, window
and metric (`console.services.slices_view.compute_slices`); the head names
that command. `m` changes the metric, `b` compares against the previous window
of the same length, Enter opens the slice's logged requests, `d` the drift
view inside the slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from console.services.slices_view import (
    SliceMetricChoice,
    SlicesView,
    equality_predicates,
    fit_first_column,
    metric_choices,
    number,
    overall_text,
    slice_cells,
    slice_headers,
    slice_label,
    suited_choice,
)
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.analysis.slices import SliceMetric

WIDE_FROM = 100
WINDOW_HINT = "window: 6h, 3d or 2026-11-19T00:00..2026-11-20T00:00 (Enter applies)"


class SlicesLoaded(Message):
    """The worst slices were computed for the screen's question."""

    def __init__(self, question: tuple[str, SliceMetricChoice, bool], view: SlicesView) -> None:
        """Carry the question it answers and the result (whose metric may suit the model better)."""
        super().__init__()
        self.question = question
        self.view = view


class SlicesScreen(AnalysisScreen):
    """Worst slices of a model's window; Enter drills into a slice's requests."""

    SCOPE = "slices"
    VIEW = "slices"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "slices.tcss"]
    AUTO_FOCUS = "#slices-table"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("slices")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """Slices of `args.model` over `args.window` (24 h by default), ranked by accuracy."""
        super().__init__(settings, args)
        self.choices = metric_choices(())
        self.choice = self.choices[0]
        self.compare = False
        self.view: SlicesView | None = None

    def compose_main(self) -> Iterable[Widget]:
        """The table of slices and the line describing the selected one."""
        table = VigilTable(id="slices-table", cursor_type="row", empty_text="computing slices…")
        table.add_columns(*slice_headers(False))
        yield table
        yield Static("", id="slices-detail", markup=False)

    def question(self) -> tuple[str, SliceMetricChoice, bool]:
        """What is asked now: window, metric, baseline or not."""
        return (self.window_text, self.choice, self.compare)

    def load(self) -> SlicesLoaded:
        """Resolve the window and rank the slices (in a worker thread), as `vigil slices` does."""
        from console.services.analysis_window import resolve_analysis_window
        from console.services.slices_view import compute_slices, previous_window

        question = self.question()
        window = resolve_analysis_window(
            self.source, self.view_args.model, self.window_text, self.DEFAULT_WINDOW
        )
        baseline = previous_window(window) if self.compare else None
        choice = suited_choice(self.choice, window.model.task)
        return SlicesLoaded(question, compute_slices(self.source, window, choice, baseline))

    def on_slices_loaded(self, message: SlicesLoaded) -> None:
        """Keep the answer to the current question and redraw."""
        if message.question != self.question():
            return
        self.view = message.view
        self.window = message.view.window
        self.choice = message.view.choice
        self.choices = metric_choices(message.view.stage_columns, self.window.model.task)
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the slices screen's widgets are updated."""
        view = self.view
        table = self.query_one("#slices-table", VigilTable)
        compared = view is not None and view.baseline is not None
        wide = self.size.width >= WIDE_FROM
        headers = slice_headers(compared, wide)
        if [str(column.label) for column in table.columns.values()] != list(headers):
            table.clear(columns=True)
            table.add_columns(*headers)
        if view is None:
            self.set_head(self.window_line(), f"{self.choice.label} · computing…")
            table.show_rows([], "computing slices…")
        else:
            self.set_head(
                self.window_line() + self._baseline_text(view),
                overall_text(view),
                f"= {self.twin(view.twin)}",
            )
            cells = [slice_cells(row, compared, wide) for row in view.table.slices]
            fitted = fit_first_column(headers, cells, self.size.width - 2)
            table.show_rows(
                [(str(index), row) for index, row in enumerate(fitted)], self._empty_text(view)
            )
        self.render_detail()
        self.render_filter()
        self.render_status()

    def _baseline_text(self, view: SlicesView) -> str:
        """` · vs previous 24h (11-18 00:00..11-19 00:00)`, or how to compare."""
        if view.baseline is None:
            return " · b: vs previous window"
        start, end = view.baseline
        return f" · vs {start:%m-%d %H:%M}..{end:%m-%d %H:%M} (ranked by change)"

    def _empty_text(self, view: SlicesView) -> str:
        """Why there is no slice: no values, or none worse than overall by enough."""
        if view.table.n == 0:
            return "no row has a value for this metric yet (labels arrive late): press m"
        return f"no slice of ≥ 30 requests is worse than overall ({view.choice.label})"

    def selected_slice(self) -> SliceMetric | None:
        """The slice under the cursor."""
        key = self.query_one("#slices-table", VigilTable).selected_key()
        if self.view is None or key is None:
            return None
        return self.view.table.slices[int(key)]

    def render_detail(self) -> None:
        """The selected slice in full, and what Enter and `d` do with it."""
        row = self.selected_slice()
        detail = self.query_one("#slices-detail", Static)
        if row is None:
            detail.update("")
            return
        extra = f" · z {number(row.score)}" if row.baseline_metric is not None else ""
        detail.update(
            f"{row.name} · {row.support:,} requests\n"
            f"share {row.share:.1%}{extra} · Enter: its requests · d: drift inside this slice"
        )

    def on_resize(self) -> None:
        """The slice names are cut to the width: redraw."""
        self.render_view()

    def on_data_table_row_highlighted(self, event: VigilTable.RowHighlighted) -> None:
        """Describe the slice under the cursor."""
        event.stop()
        self.render_detail()

    def on_data_table_row_selected(self, event: VigilTable.RowSelected) -> None:
        """Enter on a slice opens its requests."""
        event.stop()
        self.action_open_selected()

    def action_open_selected(self) -> None:
        """The logged requests of the selected slice, in a virtualised table."""
        from console.tui.screens.slices_requests import SliceRequestsScreen

        row = self.selected_slice()
        if row is None or self.view is None:
            return
        self.app.push_screen(SliceRequestsScreen(self.settings, self.view, row))

    def action_drift_in_slice(self) -> None:
        """The drift view of this window inside the selected slice."""
        row = self.selected_slice()
        if row is not None:
            open_drift_in(self, row)

    def action_cycle_metric(self) -> None:
        """Rank by the next metric."""
        index = self.choices.index(self.choice) if self.choice in self.choices else -1
        self.choice = self.choices[(index + 1) % len(self.choices)]
        self.recompute()

    def action_toggle_baseline(self) -> None:
        """Compare against the previous window of the same length, or stop comparing."""
        self.compare = not self.compare
        self.recompute()

    def action_ask_window(self) -> None:
        """Type another window."""
        self.ask("window", WINDOW_HINT, self.window_text)

    def answer(self, what: str, text: str) -> str | None:
        """Apply a typed window."""
        problem = self.change_window(text)
        if problem is None:
            self.view = None
            self.render_view()
        return problem

    def recompute(self) -> None:
        """Drop the shown answer and compute the new question."""
        self.view = None
        self.loaded_at = None
        self.render_view()
        self.refresh_data()


def open_drift_in(screen: AnalysisScreen, row: SliceMetric) -> None:
    """Open drift inside a slice's `==` predicates; say which numeric bins were left out."""
    predicates = equality_predicates(row.predicates)
    skipped = [p for p in row.predicates if p.op != "=="]
    if not predicates:
        screen.notify(
            f"{slice_label(row.predicates)}: drift inside a slice takes COL=VALUE predicates",
            title="drift in slice",
            severity="warning",
        )
        return
    if skipped:
        left_out = slice_label(skipped)
        screen.notify(
            f"drift inside {slice_label(row.predicates)} without {left_out}: "
            "numeric bins are not COL=VALUE predicates",
            title="drift in slice",
        )
    screen.open_drift(predicates)
