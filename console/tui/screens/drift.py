"""The drift screen: every feature's PSI worst first, in a window, a mode, a profile, a slice.

The table is the one `vigil drift --json` prints for the same request
(`console.services.drift.compute_drift` calls the same `model_drift`); the
header says which command that is. A result already computed for the same
request paints at once, marked with its age, while the new one is computed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.events import Resize
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from console.tui.actions import bindings_for
from console.tui.messages import DriftHistoryLoaded, DriftLoaded
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.footer import CoalescedFooter
from console.tui.widgets.inputs import ClosableInput
from console.tui.widgets.status_bar import data_age
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.analysis.drift import DriftTable, FeatureDrift
    from console.services.backends import BackendSource
    from console.services.drift import DriftRequest, DriftResult

COMPACT = ("FEATURE", "KIND", "PSI", "BAND", "KS/χ²", "JS", "PSI 7d")
WIDE = ("FEATURE", "KIND", "PSI", "BAND", "KS", "JS", "χ²", "BINS", "ε", "N REF", "N CUR", "PSI 7d")
WIDE_FROM = 118
FROM_COUNTS = {  # KS and Wasserstein need the values: from counts they show `-`
    "counts": " · counted by the log's engine: no KS",
    "buckets": " · from histogram buckets: no KS",
}
SPARKS = "▁▂▃▄▅▆▇█"
CACHE_SIZE = 16
HISTORY_DELAY_S = 1.0
RESULTS: OrderedDict[Any, tuple[object, DriftResult]] = OrderedDict()
ASK_HINTS = {
    "window": "window: 6h, 3d or 2026-11-19T00:00..2026-11-20T00:00 (Enter applies)",
    "slice": "slice: COL=VALUE ... e.g. device_type=tablet (empty: whole traffic)",
}


def number(value: float | None) -> str:
    """A statistic as `vigil drift` prints it: 4 significant digits, `-` when absent."""
    return "-" if value is None else f"{value:.4g}"


def sparkline(values: Sequence[float | None], act: float) -> str:
    """PSI per day as bars scaled to the larger of the worst day and the `act` threshold."""
    top = max([act, *(v for v in values if v is not None)])
    return "".join(
        "·" if v is None else SPARKS[min(len(SPARKS) - 1, int(v / top * len(SPARKS)))]
        for v in values
    )


def remember(source: object, result: DriftResult) -> None:
    """Keep the latest results per backend source so reopening a view paints at once.

    An entry holds its source, so a later source cannot reuse its id and see its results.
    """
    key = (id(source), result.request)
    RESULTS[key] = (source, result)
    RESULTS.move_to_end(key)
    while len(RESULTS) > CACHE_SIZE:
        RESULTS.popitem(last=False)


def remembered(source: object, request: DriftRequest) -> DriftResult | None:
    """The last result of `request` on `source`, if one is kept."""
    entry = RESULTS.get((id(source), request))
    return entry[1] if entry is not None and entry[0] is source else None


def start_computing(source: BackendSource, request: DriftRequest) -> Future[DriftResult]:
    """Compute `request` in a daemon thread from now, so building the screen overlaps it."""
    future: Future[DriftResult] = Future()

    def compute() -> None:
        """Exactly what `vigil drift` runs, its outcome kept in the future."""
        from console.services.drift import analysis_context, compute_drift

        try:
            future.set_result(compute_drift(analysis_context(source), request))
        except Exception as error:
            future.set_exception(error)

    threading.Thread(target=compute, name="vigil-drift-first", daemon=True).start()
    return future


class DriftScreen(DataScreen):
    """Drift of one model; Enter opens a feature's distribution, keys change the question."""

    SCOPE = "drift"
    AUTO_FOCUS = "#drift-table"
    FIRST_PAINT_FIRST = False
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("drift")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """A drift screen for `args` (model, window, slice); its first computation starts now."""
        from console.services.drift import DEFAULT_WINDOW, DriftRequest

        model = args.model or ""
        super().__init__(
            settings, ("vigil", settings.context_name, "overview", model, "drift"), args
        )
        self.request: DriftRequest = DriftRequest(
            model, args.window or DEFAULT_WINDOW, predicates=args.predicates
        )
        self.result: DriftResult | None = remembered(settings.source, self.request)
        self.first: tuple[DriftRequest, Future[DriftResult]] | None = (
            self.request,
            start_computing(settings.source, self.request),
        )
        self.history: dict[str, list[float | None]] = {}
        self.asking = ""
        self.wide = False
        self.first_shown = False
        self._history_timer: Timer | None = None

    def compose_body(self) -> Iterable[Widget]:
        """The header (window, mode, reference, slice, source), the table and the prompt."""
        yield Static("", id="drift-head", markup=False)
        yield ClosableInput(id="drift-ask")
        yield VigilTable(
            id="drift-table", cursor_type="row", empty_text="computing drift…", tight=True
        )

    def on_mount(self) -> None:
        """Set the columns for the width, then paint the last result (if any) at once."""
        super().on_mount()
        self.set_columns(self.size.width >= WIDE_FROM)
        self.render_view()

    def footer_waits(self) -> bool:
        """The footer's keys are built after the first table is painted, not while it computes."""
        return not self.first_shown

    def show_footer(self) -> None:
        """The first table (or why there is none) is up: build the footer's keys now."""
        if not self.first_shown:
            self.first_shown = True
            self.query_one(CoalescedFooter).release()

    def on_resize(self, event: Resize) -> None:
        """Switch between the compact and the wide columns."""
        wide = event.size.width >= WIDE_FROM
        if wide != self.wide:
            self.set_columns(wide)
            self.render_view()

    def set_columns(self, wide: bool) -> None:
        """Rebuild the table's columns for the width."""
        self.wide = wide
        self.query_one("#drift-table", VigilTable).set_columns(WIDE if wide else COMPACT)

    def refresh_interval(self) -> float:
        """Drift is costly: recompute six times less often than the overview reads."""
        return self.settings.refresh_s * 6

    def refresh_data(self) -> None:
        """Compute in a worker; say so at once (a newer request cancels the older one)."""
        self.progress = f"computing drift of {self.request.model} over {self.request.window}…"
        self.render_status()
        super().refresh_data()

    def load(self) -> DriftLoaded:
        """The drift table exactly as `vigil drift` computes it (the first one started at build)."""
        from console.services.drift import analysis_context, compute_drift

        first, self.first = self.first, None
        if first is not None and first[0] == self.request:
            return DriftLoaded(first[1].result())
        return DriftLoaded(compute_drift(analysis_context(self.settings.source), self.request))

    def on_drift_loaded(self, message: DriftLoaded) -> None:
        """Show the new table; the sparklines follow a second later (a quick look costs nothing)."""
        if message.result.request != self.request:
            return
        self.result = message.result
        remember(self.settings.source, message.result)
        self.loaded_at = self.settings.clock()
        self.render_view()
        self.call_after_refresh(self.show_footer)
        self._history_timer = self.set_timer(HISTORY_DELAY_S, self.start_history)

    def start_history(self) -> None:
        """Compute the sparklines in a second worker, once the table has been seen."""
        result = self.result
        if result is None or not self.shown:
            return
        features = [row.feature for row in result.table.features]
        self.run_worker(
            lambda: self._history(result, features),
            thread=True,
            exclusive=True,
            group="drift-history",
            exit_on_error=False,
        )

    def on_screen_suspend(self) -> None:
        """Hidden: no sparklines are computed for a table nobody sees."""
        super().on_screen_suspend()
        self.stop_history()

    def stop_history(self) -> None:
        """Drop a pending or running sparkline computation (a newer question replaces it)."""
        if self._history_timer is not None:
            self._history_timer.stop()
            self._history_timer = None
        self.workers.cancel_group(self, "drift-history")

    def _history(self, result: DriftResult, features: list[str]) -> None:
        """Worker: PSI per day of each feature over the last week, posted when done."""
        from console.services.drift import analysis_context, psi_history

        worker = get_current_worker()
        history = psi_history(
            analysis_context(self.settings.source),
            result.request,
            result.end,
            features,
            cancelled=lambda: worker.is_cancelled,
        )
        if not worker.is_cancelled:
            self.post_message(DriftHistoryLoaded(result.request, history))

    def on_drift_history_loaded(self, message: DriftHistoryLoaded) -> None:
        """Fill the sparkline column."""
        if message.request == self.request:
            self.history = message.history
            self.render_view()

    def load_failed(self, text: str) -> None:
        """With nothing to show for this request, the table says why."""
        if self.result is None or self.result.request != self.request:
            self.query_one("#drift-table", VigilTable).show_rows([], text)
        self.call_after_refresh(self.show_footer)

    def render_view(self) -> None:
        """The one place the drift screen's widgets are updated."""
        self.render_head()
        table = self.query_one("#drift-table", VigilTable)
        result = self.result
        if result is None or result.request != self.request:
            table.show_rows([], "computing drift…")
        else:
            rows = [(row.feature, self._cells(row, result.table)) for row in result.table.features]
            table.show_rows(rows, "the model declares no features")
        self.render_filter()
        self.render_status()

    def render_head(self) -> None:
        """Window, reference and slice; mode, profile and sizes; the equivalent command."""
        request = self.request
        result = self.result if self.result and self.result.request == request else None
        slice_text = " ".join(f"{c}={v}" for c, v in request.predicates) or "all traffic"
        if result is None:
            lines = [
                f"{request.window} · vs {request.reference} reference · slice {slice_text}",
                f"{request.mode} · {request.profile}",
            ]
        else:
            table = result.table
            lines = [
                f"{request.window} {result.start:%m-%d %H:%M}→{result.end:%m-%d %H:%M} UTC"
                f" · vs {result.reference_label}",
                f"slice {slice_text} · n ref {table.n_reference:,} · n cur {table.n_current:,}",
                f"{request.mode} · {table.profile.name}: act > {table.profile.act:g} · "
                f"bins {table.bins} · ε {table.epsilon:g}{FROM_COUNTS.get(table.tests, '')}",
                f"= {self.twin(result.command)}",
            ]
        self.query_one("#drift-head", Static).update("\n".join(lines))

    def _cells(self, row: FeatureDrift, table: DriftTable) -> tuple[str, ...]:
        """One feature's row, every number as `vigil drift` prints it."""
        spark = sparkline(self.history.get(row.feature, []), table.profile.act)
        kind = "num" if row.kind == "numeric" else "cat"
        band = row.status.replace("_", " ")
        if self.wide:
            return (
                row.feature,
                kind,
                number(row.psi),
                band,
                number(row.ks),
                number(row.js),
                number(row.chi2),
                str(row.bins),
                f"{row.epsilon:g}",
                f"{row.n_reference:,}",
                f"{row.n_current:,}",
                spark,
            )
        test = row.ks if row.kind == "numeric" else row.chi2
        return (
            row.feature,
            kind,
            number(row.psi),
            band,
            number(test),
            number(row.js),
            spark,
        )

    def status_text(self, now: datetime) -> str:
        """How old the result and the newest logged request are."""
        result = self.result
        if result is None:
            return "" if self.progress else "no result yet"
        parts = [f"computed in {result.elapsed_s:.1f} s"]
        if self.loaded_at is None:
            parts.append("from an earlier visit; recomputing")
        parts.append(data_age(result.last_logged, now))
        return " · ".join(parts)

    def action_window(self, window: str) -> None:
        """Recompute over a fixed window."""
        self.change(replace(self.request, window=window))

    def action_cycle(self, what: str) -> None:
        """Switch the mode, the profile or the reference to the next choice."""
        from console.services.drift import PROFILES, REFERENCES, analysis_context, modes_for

        modes = modes_for(analysis_context(self.settings.source))
        choices = {"mode": modes, "profile": PROFILES, "reference": REFERENCES}[what]
        current = getattr(self.request, what)
        following = choices[(choices.index(current) + 1) % len(choices)]
        changes: dict[str, Any] = {what: following}
        self.change(replace(self.request, **changes))

    def action_ask(self, what: str) -> None:
        """Open the prompt for a window/range or for slice predicates."""
        self.asking = what
        box = self.query_one("#drift-ask", ClosableInput)
        box.placeholder = ASK_HINTS[what]
        box.value = self.request.window if what == "window" else self.slice_words()
        box.add_class("open")
        box.focus()

    def slice_words(self) -> str:
        """The slice as it is typed: `device_type=tablet`."""
        return " ".join(f"{c}={v}" for c, v in self.request.predicates)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the typed window or slice; a bad one is said, nothing changes."""
        if event.input.id != "drift-ask":
            super().on_input_submitted(event)
            return
        event.stop()
        from console.analysis.inputs import InputError
        from console.services.drift import check_window

        text = event.value.strip()
        try:
            if self.asking == "window":
                check_window(text)
                request = replace(self.request, window=text)
            else:
                request = replace(self.request, predicates=parse_predicates(text))
        except (InputError, ValueError) as error:
            self.notify(str(error), title=f"drift {self.asking}", severity="error")
            return
        self.close_input(event.input)
        self.change(request)

    def change(self, request: DriftRequest) -> None:
        """Ask a new question: paint a cached answer at once, then compute."""
        if request == self.request:
            return
        self.stop_history()
        self.request = request
        self.view_args = replace(
            self.view_args, window=request.window, predicates=request.predicates
        )
        self.result = remembered(self.settings.source, request)
        self.history = {}
        self.loaded_at = None
        self.render_view()
        self.refresh_data()

    def selected_feature(self) -> str | None:
        """The feature under the cursor."""
        return self.query_one("#drift-table", VigilTable).selected_key()

    def on_data_table_row_selected(self, event: VigilTable.RowSelected) -> None:
        """Enter opens the selected feature's distribution."""
        event.stop()
        self.action_open_selected()

    def action_open_selected(self) -> None:
        """Open the distribution of the feature under the cursor."""
        from console.tui.screens.drift_distribution import DistributionScreen

        feature = self.selected_feature()
        if feature is not None and self.result is not None:
            self.app.push_screen(DistributionScreen(self.settings, self.result, feature))

    def action_open_where(self) -> None:
        """Open "where does it drift" for the same model and window."""
        opener: Any = getattr(self.app, "open_view", None)
        if opener is not None:
            args = ViewArgs(model=self.request.model, window=self.request.window)
            opener("where", args)


def parse_predicates(text: str) -> tuple[tuple[str, str], ...]:
    """`device_type=tablet country=FR` into pairs; anything else is a ValueError."""
    pairs = []
    for word in text.split():
        column, sep, value = word.partition("=")
        if not sep or not column or not value:
            raise ValueError(f"{word!r}: give COL=VALUE (e.g. device_type=tablet)")
        pairs.append((column, value))
    return tuple(pairs)
