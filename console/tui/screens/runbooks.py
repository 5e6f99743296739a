"""The runbooks screen (`:runbooks`): every runbook this context can run, and its parameters.

The bundled runbooks, the user's (`$XDG_CONFIG_HOME/vigil/runbooks/`) and the
context's own (`<workspace>/runbooks/`), from `console.services.runbook_catalog`
(the lookup `vigil runbook run NAME` uses too). Enter opens the parameter
form, then the plan; nothing runs from this screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from console.tui.actions import bindings_for
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.services.runbook_catalog import CatalogEntry

COLUMNS = ("NAME", "RISK", "FROM", "DESCRIPTION")


class CatalogLoaded(Message):
    """The runbook folders were read."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        """Carry the entries."""
        super().__init__()
        self.entries = entries


def describe(entry: CatalogEntry) -> str:
    """A runbook's confirmation, parameters, steps and failure steps, for the detail pane."""
    from console.tui.screens.run_form import shown_default
    from runbooks.engine.gate import CONFIRMATION

    book = entry.runbook
    if book is None:
        return f"{entry.path}: {entry.error}"
    lines = [f"{book.name}: {book.description}"]
    where = "bundled" if entry.origin == "bundled" else str(entry.path)
    lines.append(f"risk {book.risk} (confirmation: {CONFIRMATION[book.risk]}) · {where}")
    if book.nonprod_only:
        lines.append("runs only on non-production contexts")
    lines.append("parameters:")
    for param in book.parameters.values():
        need = "required" if param.required else f"default {shown_default(param) or '-'}"
        choices = f" one of {', '.join(param.choices)}" if param.choices else ""
        lines.append(f"  {param.name} ({param.type}, {need}){choices}: {param.description}")
    steps = ", ".join(f"{s.name}{'*' if s.mutating else ''}" for s in book.steps)
    lines.append(f"steps (* changes the live system): {steps}")
    failure = ", ".join(s.name for s in book.on_failure) or "put back a split this run changed"
    lines.append(f"on failure: {failure}")
    return "\n".join(lines)


class RunbooksScreen(DataScreen):
    """The runbook catalog; the highlighted runbook's parameters below; Enter opens its form."""

    SCOPE = "runbooks"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("runbooks")]
    AUTO_FOCUS = "#runbooks"

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The catalog; `args.model` (given, or the screen's it was opened on) fills the form."""
        model = (args.model,) if args.model else ()
        super().__init__(settings, ("vigil", settings.context_name, *model, "runbooks"), args)
        self.entries: list[CatalogEntry] = []

    def compose_body(self) -> Iterable[Widget]:
        """The table and the detail of the highlighted runbook."""
        table = VigilTable(id="runbooks", cursor_type="row", empty_text="reading runbooks…")
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="runbook-detail", markup=False)

    def load(self) -> CatalogLoaded:
        """Read and validate every runbook file (in a worker thread)."""
        from console.services.runbook_catalog import catalog

        source = self.settings.source
        context = source if hasattr(source, "workspace") else None
        return CatalogLoaded(catalog(context))  # type: ignore[arg-type]

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        """Keep the entries and redraw."""
        self.entries = message.entries
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the table and the detail change."""
        rows = []
        for index, entry in enumerate(self.entries):
            book = entry.runbook
            risk = book.risk if book is not None else "error"
            text = book.description if book is not None else f"✗ {entry.error}"
            rows.append((str(index), (entry.name, risk, entry.origin, text)))
        self.query_one("#runbooks", VigilTable).show_rows(rows, "no runbook found")
        self.render_filter()
        self.render_detail()
        self.render_status()

    def selected(self) -> CatalogEntry | None:
        """The entry under the cursor."""
        key = self.query_one("#runbooks", VigilTable).selected_key()
        return self.entries[int(key)] if key is not None and key.isdigit() else None

    def render_detail(self) -> None:
        """The highlighted runbook's parameters and steps."""
        entry = self.selected()
        self.query_one("#runbook-detail", Static).update(describe(entry) if entry else "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor with the detail pane."""
        self.render_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the form (or, with every value known, the plan)."""
        event.stop()
        self.action_open_selected()

    def action_open_selected(self) -> None:
        """Open the highlighted runbook's form, its model filled from the view."""
        from console.tui.screens.run_form import RunFormScreen

        entry = self.selected()
        if entry is None or entry.runbook is None:
            if entry is not None:
                self.notify(entry.error, title=entry.name, severity="error")
            return
        given = {}
        if self.view_args.model and "model" in entry.runbook.parameters:
            given["model"] = self.view_args.model
        self.app.push_screen(RunFormScreen(self.settings, entry.runbook, given))

    def refresh_interval(self) -> float:
        """Runbook files change rarely: read them again every minute."""
        return max(60.0, self.settings.refresh_s)

    def status_text(self, now: datetime) -> str:
        """How many runbooks, and how many did not load."""
        if self.loaded_at is None:
            return "reading runbooks…"
        broken = sum(entry.runbook is None for entry in self.entries)
        text = f"{len(self.entries)} runbook(s)"
        return text + (f" · {broken} not loaded" if broken else "")
