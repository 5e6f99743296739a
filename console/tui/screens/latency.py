"""The latency screen: each stage's p50 / p95 / p99 against its budget, end to end against the SLO.

The numbers are those of `vigil latency --json` for the same model and window
(`console.services.latency_view.compute_latency`). The stage over budget is
said in words; stage percentiles do not add, and the screen says so; `a`
asks a what-if (STAGE SPEEDUP → end-to-end speed-up, Amdahl); a plot shows each
stage's p99 over the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from console.analysis.latency import NOT_ADDITIVE
from console.services.latency_view import (
    LatencyView,
    WhatIfAnswer,
    WhatIfError,
    over_text,
    parse_what_if,
    slo_text,
    stage_cells,
    what_if,
)
from console.tui.actions import bindings_for
from console.tui.screens.analysis import AnalysisScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.bars import budget_bar
from console.tui.widgets.plot import MARKERS, LinePlot, PlotLine, legend
from console.tui.widgets.table import VigilTable

HEADERS = ("STAGE", "P50", "P95", "P99", "BUDGET", "P99 VS BUDGET", "", "SHARE")
BAR_WIDTH = 16
WIDE_FROM = 100
SHORT_NOTE = "stage percentiles do not add: end-to-end p99 ≠ the sum of stage p99s"
WINDOW_HINT = "window: 1h, 6h or 2026-11-19T00:00..2026-11-20T00:00 (Enter applies)"
WHATIF_HINT = "what-if: STAGE SPEEDUP, e.g. feature_fetch 2 (Enter answers)"


class LatencyLoaded(Message):
    """The stage budget was computed for the screen's window."""

    def __init__(self, window_text: str, view: LatencyView) -> None:
        """Carry the window it answers and the result."""
        super().__init__()
        self.window_text = window_text
        self.view = view


class LatencyScreen(AnalysisScreen):
    """The latency budget of one model's window."""

    SCOPE = "latency"
    VIEW = "latency"
    DEFAULT_WINDOW = "1h"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "latency.tcss"]
    AUTO_FOCUS = "#latency-table"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("latency")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """Latency of `args.model` over `args.window` (1 h by default, as `vigil latency`)."""
        super().__init__(settings, args)
        self.view: LatencyView | None = None
        self.answer_text = ""

    def compose_main(self) -> Iterable[Widget]:
        """The stage table, the caveat and what-if lines, and the p99 plot."""
        table = VigilTable(id="latency-table", cursor_type="row", empty_text="computing latency…")
        table.add_columns(*HEADERS)
        yield table
        yield Static("", id="latency-notes", markup=False)
        yield LinePlot(id="latency-plot")

    def load(self) -> LatencyLoaded:
        """Resolve the window and compute the budget (in a worker thread)."""
        from console.services.analysis_window import resolve_analysis_window
        from console.services.latency_view import compute_latency

        asked = self.window_text
        window = resolve_analysis_window(
            self.source, self.view_args.model, asked, self.DEFAULT_WINDOW
        )
        return LatencyLoaded(asked, compute_latency(self.source, window))

    def on_latency_loaded(self, message: LatencyLoaded) -> None:
        """Keep the answer for the current window and redraw."""
        if message.window_text != self.window_text:
            return
        self.view = message.view
        self.window = message.view.window
        self.loaded_at = self.settings.clock()
        if not self.answer_text:
            self.answer_text = self._default_what_if(message.view)
        self.render_view()

    def _default_what_if(self, view: LatencyView) -> str:
        """The what-if of the stage over budget (or the largest share) at 2×."""
        stages = [s for s in view.budget.stages if s.share is not None]
        if not stages:
            return ""
        over = view.budget.over_budget
        stage = over if over is not None else max(stages, key=lambda s: s.share or 0.0)
        return self._what_if_line(what_if(view.budget, stage.stage, 2.0))

    def _what_if_line(self, answer: WhatIfAnswer) -> str:
        """`what-if (a): feature_fetch 2× faster (52 % of the mean request) → 1.35× end to end`."""
        return f"what-if (a): {answer.text()}"

    def render_view(self) -> None:
        """The one place the latency screen's widgets are updated."""
        view = self.view
        table = self.query_one("#latency-table", VigilTable)
        if view is None:
            self.set_head(self.window_line(), "computing the stage budget…")
            table.show_rows([], "computing latency…")
            self.render_status()
            return
        budget = view.budget
        logged = max((s.samples for s in budget.stages), default=0)
        origin = f"{logged:,} logged requests" if logged else "from the metric store's p99s"
        self.set_head(
            f"{self.window_line()} · {origin}",
            f"{slo_text(budget)} · {over_text(budget)}",
            f"= {self.twin(view.twin)}",
        )
        scale = max([max(s.p99 or 0.0, s.budget_ms or 0.0) for s in budget.stages] or [1.0])
        rows = []
        for stage in budget.stages:
            cells = stage_cells(stage)
            bar = budget_bar(stage.p99, stage.budget_ms, scale, BAR_WIDTH)
            rows.append((stage.stage, (*cells[:5], bar, *cells[5:])))
        table.show_rows(rows, "no stage timings in the window")
        note = budget.note
        if note == NOT_ADDITIVE and self.size.width < WIDE_FROM:
            note = SHORT_NOTE
        self.query_one("#latency-notes", Static).update(f"{self.answer_text}\nnote: {note}")
        self.render_plot()
        self.render_filter()
        self.render_status()

    def render_plot(self) -> None:
        """Each stage's p99 over the window, one marker per stage."""
        view = self.view
        plot = self.query_one("#latency-plot", LinePlot)
        if view is None or not view.series:
            plot.show("", (), "no per-request timings to plot" if view else "")
            return
        start = view.window.start.timestamp()
        lines = [
            PlotLine(
                one.stage,
                [(t - start) / 3600 for t in one.timestamps],
                list(one.p99),
                MARKERS[index % len(MARKERS)],
            )
            for index, one in enumerate(view.series)
        ]
        plot.show(
            f"p99 ms by hour since {view.window.start:%m-%d %H:%M} · {legend(lines)}",
            lines,
        )

    def action_ask_what_if(self) -> None:
        """Type a stage and a speed-up."""
        self.ask("what-if", WHATIF_HINT)

    def action_ask_window(self) -> None:
        """Type another window."""
        self.ask("window", WINDOW_HINT, self.window_text)

    def answer(self, what: str, text: str) -> str | None:
        """Answer a what-if, or recompute over a typed window."""
        if what == "window":
            problem = self.change_window(text)
            if problem is None:
                self.view = None
                self.render_view()
            return problem
        if self.view is None:
            return "wait for the stage budget first"
        try:
            stage, speedup = parse_what_if(text)
            self.answer_text = self._what_if_line(what_if(self.view.budget, stage, speedup))
        except WhatIfError as error:
            return str(error)
        self.render_view()
        return None
