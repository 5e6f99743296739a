"""What the slices, latency, timeline and correlation screens share: a window, a head, a prompt.

Each computes in a worker (through `console.services.*_view`, the same
functions as its headless CLI twin), says what it covers in its head (the
window, where the numbers come from, the equivalent `vigil ... --json`) and
how old its data is in the status bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from textual.widget import Widget
from textual.widgets import Input, Static

from console.analysis.context import Sources
from console.services.analysis_window import AnalysisWindow
from console.services.reading import format_age
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.breadcrumbs import Breadcrumbs
from console.tui.widgets.inputs import ClosableInput
from console.tui.widgets.status_bar import data_age
from console.tui.widgets.table import TableFilter, VigilTable
from console.tui.widgets.virtual_table import ListRows, VirtualTable

SLOWER = 6


class AnalysisScreen(DataScreen):
    """A data screen over one model and window, with a head and a one-line prompt."""

    VIEW = ""
    DEFAULT_WINDOW = "24h"

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """A screen for `args.model` over `args.window` (or the view's default window)."""
        model = args.model or ""
        super().__init__(
            settings, ("vigil", settings.context_name, "overview", model, self.VIEW), args
        )
        self.window_text = args.window or self.DEFAULT_WINDOW
        self.window: AnalysisWindow | None = None
        self.asking = ""

    @property
    def source(self) -> Sources:
        """The context's backends as the analysis services read them."""
        return cast(Sources, self.settings.source)

    def compose_body(self) -> Iterable[Widget]:
        """The head, the (hidden) prompt, then the screen's own widgets."""
        yield Static("", id="analysis-head", markup=False)
        yield ClosableInput(id="analysis-ask")
        yield from self.compose_main()

    def compose_main(self) -> Iterable[Widget]:
        """The screen's widgets under the head."""
        return ()

    def refresh_interval(self) -> float:
        """An analysis is costly: recompute less often than the overview reads."""
        return self.settings.refresh_s * SLOWER

    def refresh_data(self) -> None:
        """Say at once that a computation started, then run it in a worker."""
        self.progress = self.progress_text()
        self.render_status()
        super().refresh_data()

    def progress_text(self) -> str:
        """What the status bar says while the worker computes."""
        return f"computing {self.VIEW} of {self.view_args.model} over {self.window_text}…"

    def set_head(self, *lines: str) -> None:
        """Replace the head's lines."""
        self.query_one("#analysis-head", Static).update("\n".join(line for line in lines if line))

    def window_line(self) -> str:
        """`fraud-detector · 24h 11-19 00:00..11-20 00:00 UTC`, or the window asked for."""
        model = self.view_args.model or "?"
        if self.window is None:
            return f"{model} · {self.window_text}"
        return f"{model} · {self.window.label()}"

    def status_text(self, now: datetime) -> str:
        """How old the newest logged request is, and when the numbers were computed."""
        if self.window is None:
            return "" if self.progress else "no result yet"
        computed = ""
        if self.loaded_at is not None:
            computed = f"computed {format_age((now - self.loaded_at).total_seconds())} ago"
        parts = [data_age(self.window.last_logged, now), computed]
        return " · ".join(part for part in parts if part)

    def ask(self, what: str, hint: str, value: str = "") -> None:
        """Open the prompt for `what` with a hint and a starting value."""
        self.asking = what
        box = self.query_one("#analysis-ask", ClosableInput)
        box.placeholder = hint
        box.value = value
        box.add_class("open")
        box.focus()

    def answer(self, what: str, text: str) -> str | None:
        """Apply a typed answer; return an error message to keep the prompt open."""
        return None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The prompt's Enter: apply the answer, or say what is wrong and keep it open."""
        if event.input.id != "analysis-ask":
            super().on_input_submitted(event)
            return
        event.stop()
        problem = self.answer(self.asking, event.value.strip())
        if problem:
            self.notify(problem, title=f"{self.VIEW} {self.asking}", severity="error")
            return
        self.close_input(event.input)

    def change_window(self, text: str) -> str | None:
        """Recompute over another window (`6h`, `3d`, `START..END`); a bad one is an error."""
        from console.services.analysis_window import check_window

        try:
            check_window(text)
        except ValueError as error:
            return str(error)
        self.window_text = text
        self.view_args = replace(self.view_args, window=text)
        self.loaded_at = None
        self.refresh_data()
        return None

    def virtual_target(self) -> VirtualTable | None:
        """The line-API table `/` filters when the screen has no `VigilTable`."""
        if self.filter_target() is not None:
            return None
        found = list(self.query(VirtualTable))
        return found[0] if found else None

    def set_filter(self, text: str) -> None:
        """Filter a `VirtualTable` as the base filters a `VigilTable`."""
        virtual = self.virtual_target()
        if virtual is None:
            super().set_filter(text)
            return
        self.table_filter = TableFilter.parse(text)
        virtual.apply_filter(self.table_filter)
        self.render_filter()

    def render_filter(self) -> None:
        """The header: breadcrumbs, the active filter and how many rows it keeps."""
        virtual = self.virtual_target()
        if virtual is None:
            super().render_filter()
            return
        note = ""
        if self.table_filter is not None:
            note = f"filter {self.table_filter.label} · {virtual.shown_text()}"
        self.query_one(Breadcrumbs).show(self.crumbs, note)

    def load_failed(self, text: str) -> None:
        """A computation raised: the head and any empty table say why, next to what was asked."""
        self.set_head(self.window_line(), text)
        for table in self.query(VigilTable):
            if not table.all_rows:
                table.show_rows([], text)
        for virtual in self.query(VirtualTable):
            if not virtual.row_count:
                virtual.show(virtual.headers or ("",), ListRows(()), empty_text=text)

    def open_drift(self, predicates: tuple[tuple[str, str], ...]) -> None:
        """The drift view of this model and window inside a slice."""
        opener: Any = getattr(self.app, "open_view", None)
        if opener is not None:
            args = ViewArgs(
                model=self.view_args.model, window=self.window_text, predicates=predicates
            )
            opener("drift", args)
