"""The model screen: versions, aliases, traffic split, serving state, lineage and incidents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from console.tui.actions import bindings_for
from console.tui.format import ERROR_MARK, STALE_MARK, fresh_limit, short_hash, when
from console.tui.messages import ModelDetailLoaded
from console.tui.screens.acting import ActingScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.status_bar import summarize
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.services.model_detail import ModelDetail

VERSION_COLUMNS = ("VERSION", "ALIASES", "TRAFFIC", "STATE", "RUNTIME", "CREATED")
LINEAGE_COLUMNS = ("VERSION", "CODE", "DATA", "CONFIG", "ENVIRONMENT")


class ModelScreen(ActingScreen):
    """One model in detail; one key opens each investigation view, Escape goes back."""

    SCOPE = "model"
    AUTO_FOCUS = "#versions"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("model")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """A model screen for `args.model`; the read starts when it is shown."""
        model = args.model or ""
        super().__init__(settings, ("vigil", settings.context_name, "overview", model), args)
        self.model_name = model
        self.detail: ModelDetail | None = None

    def compose_body(self) -> Iterable[Widget]:
        """Summary, versions, lineage and incidents, scrollable at 80×24."""
        versions = VigilTable(id="versions", cursor_type="row")
        versions.add_columns(*VERSION_COLUMNS)
        lineage = VigilTable(id="lineage", cursor_type="row", show_cursor=False)
        lineage.add_columns(*LINEAGE_COLUMNS)
        with VerticalScroll(id="model-body"):
            yield Static(f"{self.model_name}: reading…", id="model-summary", markup=False)
            yield Static("Versions", classes="section")
            yield versions
            yield Static("Lineage", classes="section")
            yield lineage
            yield Static("Incidents", classes="section")
            yield Static("-", id="incidents", markup=False)

    def load(self) -> ModelDetailLoaded:
        """Read the model's registry entry, serving status and incidents (in a worker thread)."""
        from console.services.model_detail import build_model_detail

        settings = self.settings
        return ModelDetailLoaded(
            build_model_detail(
                settings.source,
                self.model_name,
                timeout_s=settings.timeout_s,
                clock=settings.clock,
            )
        )

    def on_model_detail_loaded(self, message: ModelDetailLoaded) -> None:
        """Merge with the last good reading and redraw."""
        self.detail = message.detail.merged_with(self.detail)
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the model screen's widgets are updated."""
        detail = self.detail
        if detail is None:
            return
        now = self.settings.clock()
        fresh = fresh_limit(self.settings.refresh_s)
        self.query_one("#model-summary", Static).update(self._summary(detail, now, fresh))
        versions = self.query_one("#versions", VigilTable)
        lineage = self.query_one("#lineage", VigilTable)
        model = detail.model.value
        weights: Mapping[str, int] = detail.traffic.value or {}
        states: Mapping[str, str] = detail.version_states.value or {}
        traffic_mark = self._mark(detail.traffic, now, fresh)
        ordered = sorted(model.versions, key=lambda v: v.created_at) if model else []
        version_rows = []
        lineage_rows = []
        for version in ordered:
            weight = weights.get(version.version)
            version_rows.append(
                (
                    version.version,
                    (
                        f"v{version.version}",
                        ", ".join(version.aliases) or "-",
                        "-" if weight is None else f"{traffic_mark}{weight} %",
                        states.get(version.version, "not served"),
                        version.runtime,
                        when(version.created_at),
                    ),
                )
            )
            lineage_rows.append(
                (
                    version.version,
                    (
                        f"v{version.version}",
                        short_hash(version.lineage.code_hash),
                        short_hash(version.lineage.data_hash),
                        short_hash(version.lineage.config_hash),
                        short_hash(version.lineage.environment_hash),
                    ),
                )
            )
        empty = "no version registered" if model else "no such model"
        if model is None and not detail.not_found:
            empty = "registry unavailable"
        versions.show_rows(version_rows, empty)
        lineage.show_rows(lineage_rows, empty)
        self.render_filter()
        self.query_one("#incidents", Static).update(self._incidents(detail))
        self.render_status()

    def _mark(self, reading: Any, now: datetime, fresh: float) -> str:
        """`~` when a value is stale or kept after a failure."""
        return STALE_MARK if not reading.ok or reading.age_s(now) > fresh else ""

    def _summary(self, detail: ModelDetail, now: datetime, fresh: float) -> str:
        """Task, SLO and canary state on one line, or the registry error."""
        model = detail.model.value
        if model is None and detail.not_found:
            return f"{ERROR_MARK} {detail.not_found}"
        if model is None:
            return f"{ERROR_MARK} {detail.name}: registry unavailable: {detail.model.error}"
        parts = [model.name, model.task]
        if model.slo_p99_ms is not None:
            parts.append(f"SLO p99 {model.slo_p99_ms:.0f} ms")
        canary = detail.canary.value
        if canary is not None:
            parts.append(f"canary {self._mark(detail.canary, now, fresh)}{canary.label}")
        else:
            parts.append(f"traffic {ERROR_MARK} {detail.traffic.error or 'unknown'}")
        if self.settings.replaying:
            parts.append("split recorded at the instant")
        elif detail.live.value is not None:
            parts.append("server live" if detail.live.value else "stored split, no server")
        if model.description:
            parts.append(model.description)
        return " · ".join(parts)

    def _incidents(self, detail: ModelDetail) -> str:
        """Open incidents first, then closed ones, newest first."""
        incidents = detail.incidents.value
        if incidents is None:
            return f"{ERROR_MARK} incidents unavailable: {detail.incidents.error}"
        if not incidents:
            return "none recorded"
        ordered = sorted(
            incidents, key=lambda i: (i.closed_at is not None, -i.opened_at.timestamp())
        )
        return "\n".join(
            f"{i.severity} {'OPEN  ' if i.closed_at is None else 'closed'} "
            f"{when(i.opened_at)}  {i.title}"
            for i in ordered[:10]
        )

    def status_text(self, now: datetime) -> str:
        """Each backend's staleness and the first error."""
        if self.detail is None:
            return "loading…"
        return summarize(self.detail.readings(), now, fresh_limit(self.settings.refresh_s))

    def focus_body(self) -> None:
        """The versions table has the focus."""
        self.query_one("#versions", VigilTable).focus()
