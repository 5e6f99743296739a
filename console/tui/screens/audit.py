"""The audit screen (`:audit`): the hash-chained log, its verification at the top, filters.

The records and the verdict are those of `vigil audit --verify`
(`console.services.audit_view`), in a line-API table so a long log stays
fast. `f` filters by model, runbook, user and outcome (`outcome=refused
user=ana`), `/` by any text; Enter shows a record's before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from console.tui.actions import bindings_for
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.inputs import ClosableInput
from console.tui.widgets.table import TableFilter
from console.tui.widgets.virtual_table import ListRows, VirtualTable

if TYPE_CHECKING:
    from console.services.audit_view import AuditView

HEADERS = ("SEQ", "TIME (UTC)", "WHO", "RUNBOOK/STEP", "MODEL", "OUTCOME")


class AuditLoaded(Message):
    """The log was read and verified."""

    def __init__(self, view: AuditView) -> None:
        """Carry the records and the verdict."""
        super().__init__()
        self.view = view


class RecordDetails(ModalScreen[None]):
    """One record in full, before and after; Escape, Enter or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "close", id="audit.details.close")
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        """The fields to show."""
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """A framed list of fields."""
        width = max(len(key) for key, _ in self.rows)
        lines = []
        for key, value in self.rows:
            first, *rest = value.splitlines() or [""]
            lines.append(f"{key.ljust(width)}  {first}")
            lines.extend(" " * (width + 2) + line for line in rest)
        with VerticalScroll(id="record-panel"):
            yield Static("Audit record · Escape closes", id="record-title", markup=False)
            yield Static("\n".join(lines), markup=False)

    def action_close(self) -> None:
        """Close the details."""
        self.dismiss(None)


class AuditScreen(DataScreen):
    """The audit log newest first, the chain's verdict on top; `f` filters, Enter details."""

    SCOPE = "audit"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["analysis.tcss", "run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("audit")]
    AUTO_FOCUS = "#audit-table"

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The log of the context; `args.model` starts the filter on that model."""
        super().__init__(settings, ("vigil", settings.context_name, "audit"), args)
        self.view: AuditView | None = None
        self.filters: dict[str, str] = {"model": args.model} if args.model else {}
        self.records_shown: list[Any] = []

    def compose_body(self) -> Iterable[Widget]:
        """The verdict, the filter prompt and the table."""
        yield Static("verifying the audit chain…", id="audit-head", markup=False)
        yield ClosableInput(id="audit-ask", placeholder="model=M runbook=R user=U outcome=O")
        yield VirtualTable(id="audit-table", empty_text="reading the audit log…")

    def load(self) -> AuditLoaded:
        """Read and verify the log (in a worker thread)."""
        from console.services.audit_view import AuditView, read_audit
        from console.services.runbook_session import is_context

        if not is_context(self.settings.source):
            return AuditLoaded(AuditView([], error="the audit log needs a configured context"))
        context: Any = self.settings.source
        return AuditLoaded(read_audit(context))

    def on_audit_loaded(self, message: AuditLoaded) -> None:
        """Keep the log and redraw."""
        self.view = message.view
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the verdict and the table change."""
        from console.services.audit_view import audit_cells, keeps

        view = self.view
        if view is None:
            return
        runs = view.models()
        shown = [r for r in reversed(view.records) if keeps(r, self.filters, runs)]
        self.records_shown = shown
        chosen = " ".join(f"{k}={v}" for k, v in self.filters.items()) or "all records"
        head = self.query_one("#audit-head", Static)
        head.update(
            f"{view.verdict}\n{len(shown)} of {len(view.records)} records, newest first · "
            f"{chosen} · f filters · Enter: before and after"
        )
        head.set_class(bool(view.problems or view.error), "bad")
        table = self.query_one("#audit-table", VirtualTable)
        empty = f"no record matches {chosen}" if view.records else "no audit record yet"
        rows = ListRows([audit_cells(r, runs) for r in shown])
        table.show(HEADERS, rows, empty_text=empty)
        self.render_filter()
        self.render_status()

    def filter_target(self) -> Any:
        """`/` filters the virtual table (the base looks for a DataTable)."""
        return None

    def set_filter(self, text: str) -> None:
        """Filter the rows by any text, as `/` does on every table."""
        self.table_filter = TableFilter.parse(text)
        self.query_one("#audit-table", VirtualTable).apply_filter(self.table_filter)
        self.render_filter()

    def render_filter(self) -> None:
        """The header: breadcrumbs plus the `/` filter and how many rows it keeps."""
        from console.tui.widgets.breadcrumbs import Breadcrumbs

        table = self.query_one("#audit-table", VirtualTable)
        note = ""
        if self.table_filter is not None:
            note = f"filter {self.table_filter.label} · {table.shown_text()}"
        self.query_one(Breadcrumbs).show(self.crumbs, note)

    def focus_body(self) -> None:
        """The table has the focus."""
        self.query_one("#audit-table", VirtualTable).focus()

    def action_ask_filter(self) -> None:
        """Type `field=value` filters (model, runbook, user, outcome); empty clears them."""
        box = self.query_one("#audit-ask", ClosableInput)
        box.value = " ".join(f"{k}={v}" for k, v in self.filters.items())
        box.add_class("open")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The filter prompt's Enter: apply it, or say what is wrong and keep it open."""
        from console.services.audit_view import parse_filters

        if event.input.id != "audit-ask":
            super().on_input_submitted(event)
            return
        event.stop()
        try:
            self.filters = parse_filters(event.value)
        except ValueError as error:
            self.notify(str(error), title="audit filter", severity="error")
            return
        event.input.remove_class("open")
        self.focus_body()
        self.render_view()

    def close_input(self, line: Input) -> None:
        """Escape in the filter prompt closes it and keeps the filters."""
        if line.id == "audit-ask":
            line.remove_class("open")
            self.focus_body()
            return
        super().close_input(line)

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        """Enter on a record shows it in full."""
        from console.services.audit_view import record_details

        event.stop()
        table = self.query_one("#audit-table", VirtualTable)
        index = table.source_index(event.index)
        if 0 <= index < len(self.records_shown):
            self.app.push_screen(RecordDetails(record_details(self.records_shown[index])))

    def status_text(self, now: datetime) -> str:
        """The newest record's age."""
        if self.view is None or not self.view.records:
            return "reading…" if self.view is None else "no record"
        return f"newest record {self.view.records[-1].at:%Y-%m-%d %H:%M:%S} UTC"
