"""The overview: every model's traffic, error rate, p99 against SLO, canary and incidents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.widget import Widget
from textual.widgets import Static

from console.tui.actions import bindings_for
from console.tui.format import (
    age_text,
    cell,
    error_rate_text,
    fresh_limit,
    p99_text,
    traffic_text,
)
from console.tui.messages import OverviewLoaded
from console.tui.screens.acting import ActingScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.status_bar import data_age, summarize
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.services.overview import Overview, OverviewRow

COLUMNS = ("MODEL", "TRAFFIC", "ERR", "P99/SLO ms", "CANARY", "INC", "AGE")


class OverviewScreen(ActingScreen):
    """All models at a glance; Enter opens one, `d` its drift, `/` filters."""

    SCOPE = "overview"
    AUTO_FOCUS = "#models"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("overview")]

    def __init__(self, settings: Settings, args: ViewArgs | None = None) -> None:
        """An empty overview; the first read starts when the screen is shown."""
        super().__init__(settings, ("vigil", settings.context_name, "overview"), args)
        self.overview: Overview | None = None

    def compose_body(self) -> Iterable[Widget]:
        """A one-line note; the models table follows the first reading (`models_table`)."""
        yield Static("reading the backends…", id="overview-note", markup=False)

    def models_table(self) -> VigilTable:
        """The models table, mounted with the first reading (the first frame lays out none).

        Before any reading it would only show its headers; leaving it out of the
        first frame takes a tenth off the time to it (the start-up benchmark).
        """
        found = self.query("#models")
        if found:
            return found.first(VigilTable)
        table = VigilTable(
            id="models", cursor_type="row", zebra_stripes=True, empty_text="no model registered"
        )
        table.add_columns(*COLUMNS)
        self.mount(table, after=self.query_one("#overview-note"))
        if self.focused is None:
            table.focus()
        return table

    def load(self) -> OverviewLoaded:
        """Read every model's row (in a worker thread)."""
        from console.services.overview import build_overview

        settings = self.settings
        return OverviewLoaded(
            build_overview(
                settings.source,
                window_minutes=settings.window_minutes,
                timeout_s=settings.timeout_s,
                clock=settings.clock,
                known=self.overview,
            )
        )

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        """Merge the new reading with the last good one and redraw."""
        self.overview = message.overview.merged_with(self.overview)
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the overview's widgets are updated."""
        now = self.settings.clock()
        overview = self.overview
        note = self.query_one("#overview-note", Static)
        if overview is None:
            return
        table = self.models_table()
        empty = "no model registered" if overview.models.ok else "✗ registry unavailable"
        table.show_rows([(row.model, self._cells(row, now)) for row in overview.rows], empty)
        self.render_filter()
        note.update(self._note(overview))
        self.render_status()

    def _cells(self, row: OverviewRow, now: datetime) -> tuple[str, ...]:
        """One table row, every live number marked when stale or failed."""
        fresh = fresh_limit(self.settings.refresh_s)
        return (
            row.model,
            cell(row.traffic, traffic_text, now, fresh),
            cell(row.error_rate, error_rate_text, now, fresh),
            cell(row.p99, lambda value: p99_text(value, row.slo_p99_ms), now, fresh),
            cell(row.canary, lambda value: value.label, now, fresh),
            cell(row.incidents, lambda value: value.label, now, fresh),
            cell(row.latest, lambda value: age_text(value, now), now, fresh),
        )

    def _note(self, overview: Overview) -> str:
        """The line above the table: counts and window, or the registry error."""
        if not overview.models.ok and not overview.rows:
            return f"✗ registry unavailable: {overview.models.error}"
        window = overview.window_minutes
        counts = f"{len(overview.rows)} models · ERR, P99: last {window} min of data"
        if not overview.models.ok:
            return f"✗ registry unavailable: {overview.models.error} · the last {counts}"
        return f"{counts} · ~ stale ✗ error"

    def status_text(self, now: datetime) -> str:
        """Each backend's staleness, the first error, and how old the newest data is."""
        overview = self.overview
        if overview is None:
            return "loading…"
        readings: dict[str, Any] = {"models": overview.models}
        latest: datetime | None = None
        for row in overview.rows:
            for name, reading in row.readings().items():
                readings[f"{row.model}.{name}"] = reading
            if row.latest.value is not None:
                latest = row.latest.value if latest is None else max(latest, row.latest.value)
        note = data_age(latest, now) if overview.rows else ""
        return summarize(readings, now, fresh_limit(self.settings.refresh_s), note)

    def selected_model(self) -> str | None:
        """The model under the cursor, if any (none before the first reading)."""
        found = self.query("#models")
        return found.first(VigilTable).selected_key() if found else None

    def on_data_table_row_selected(self, event: VigilTable.RowSelected) -> None:
        """Enter on a row opens that model."""
        event.stop()
        model = self.selected_model()
        if model is not None:
            self.open_model(model)

    def action_open_selected(self) -> None:
        """Open the model under the cursor."""
        model = self.selected_model()
        if model is not None:
            self.open_model(model)

    def open_model(self, model: str) -> None:
        """Push the model screen."""
        opener: Any = getattr(self.app, "open_model", None)
        if opener is not None:
            opener(model)
