"""Where does it drift: segment × feature pairs ranked by PSI, with their support.

A shift confined to a small segment (tablets, 5 % of traffic) shows here even
when the overall table says stable. The ranking is `vigil drift --by-segment`'s.
Enter opens the drift table inside the selected segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static

from console.tui.actions import bindings_for
from console.tui.messages import SegmentsLoaded
from console.tui.screens.base import DataScreen
from console.tui.screens.drift import number
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.analysis.drift.segments import SegmentDrift
    from console.analysis.slices.metrics import Predicate
    from console.services.drift import DriftRequest, SegmentResult

COMPACT = ("SEGMENT", "FEATURE", "PSI", "BAND", "SHARE")
WIDE = (*COMPACT, "ROWS", "N REF")
WIDE_FROM = 100


def segment_text(segment: Predicate) -> str:
    """`device_type=tablet`, `amount [24.24, 44.79)`: short enough for 80 columns."""
    if segment.op == "==":
        return f"{segment.column}={segment.value}"
    return f"{segment.column} {segment.value}"


class WhereScreen(DataScreen):
    """Segment × feature pairs of one model's window, worst PSI first."""

    SCOPE = "where"
    AUTO_FOCUS = "#segments"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("where")]

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The ranking for `args.model` over `args.window` (default 24 h)."""
        from console.services.drift import DEFAULT_WINDOW, DriftRequest

        model = args.model or ""
        crumbs = ("vigil", settings.context_name, "overview", model, "drift", "where")
        super().__init__(settings, crumbs, args)
        self.request: DriftRequest = DriftRequest(model, args.window or DEFAULT_WINDOW)
        self.result: SegmentResult | None = None
        self.pairs: dict[str, SegmentDrift] = {}
        self.wide = False

    def compose_body(self) -> Iterable[Widget]:
        """The header and the ranking."""
        yield Static(f"ranking segments of {self.request.model}…", id="where-head", markup=False)
        yield VigilTable(
            id="segments", cursor_type="row", empty_text="ranking segments…", tight=True
        )

    def on_mount(self) -> None:
        """The ranking's columns."""
        super().on_mount()
        self.set_columns(self.size.width >= WIDE_FROM)

    def on_resize(self, event: Resize) -> None:
        """Show rows and reference sizes when there is room."""
        if (event.size.width >= WIDE_FROM) != self.wide:
            self.set_columns(not self.wide)
            self.render_view()

    def set_columns(self, wide: bool) -> None:
        """The compact or the wide columns."""
        self.wide = wide
        self.query_one("#segments", VigilTable).set_columns(WIDE if wide else COMPACT)

    def refresh_interval(self) -> float:
        """A ranking is costly: recompute six times less often than the overview reads."""
        return self.settings.refresh_s * 6

    def refresh_data(self) -> None:
        """Compute in a worker and say so."""
        self.progress = f"ranking segment × feature pairs over {self.request.window}…"
        self.render_status()
        super().refresh_data()

    def load(self) -> SegmentsLoaded:
        """Rank the pairs (in a worker thread), as `vigil drift --by-segment` does."""
        from console.services.drift import analysis_context, compute_segments

        source = analysis_context(self.settings.source)
        return SegmentsLoaded(compute_segments(source, self.request))

    def on_segments_loaded(self, message: SegmentsLoaded) -> None:
        """Keep the ranking and redraw."""
        self.result = message.result
        self.loaded_at = self.settings.clock()
        self.render_view()

    def load_failed(self, text: str) -> None:
        """The table says why it is empty."""
        if self.result is None:
            self.query_one("#segments", VigilTable).show_rows([], text)

    def render_view(self) -> None:
        """The one place this screen's widgets change."""
        result = self.result
        if result is None:
            return
        table = result.table
        self.query_one("#where-head", Static).update(
            f"{self.request.window}: {result.start:%m-%d %H:%M} → {result.end:%m-%d %H:%M} UTC"
            f" vs training reference\n{table.segments} segments · n cur {table.n_current:,}"
            f" · under {table.min_samples} rows: insufficient · SHARE = support\n"
            f"= {self.twin(result.command)}"
        )
        self.pairs = {f"{row.segment}|{row.drift.feature}": row for row in table.rows}
        rows = [
            (
                key,
                (
                    segment_text(row.segment),
                    row.drift.feature,
                    number(row.drift.psi),
                    row.drift.status,
                    f"{row.share_current:.1%}",
                    *(
                        (f"{row.drift.n_current:,}", f"{row.drift.n_reference:,}")
                        if self.wide
                        else ()
                    ),
                ),
            )
            for key, row in self.pairs.items()
        ]
        self.query_one("#segments", VigilTable).show_rows(rows, "no segment to rank")
        self.render_filter()
        self.render_status()

    def _sizes(self, row: SegmentDrift) -> tuple[str, str]:
        """Rows of the segment in the window and in the reference."""
        return f"{row.drift.n_current:,}", f"{row.drift.n_reference:,}"

    def status_text(self, now: datetime) -> str:
        """The cost of the ranking; Enter's meaning."""
        if self.result is None:
            return ""
        return f"computed in {self.result.elapsed_s:.1f} s · Enter: drift inside the segment"

    def on_data_table_row_selected(self, event: VigilTable.RowSelected) -> None:
        """Enter opens the drift table inside the selected segment."""
        event.stop()
        self.action_open_segment()

    def action_open_segment(self) -> None:
        """Drift inside the segment under the cursor."""
        key = self.query_one("#segments", VigilTable).selected_key()
        pair = self.pairs.get(key or "")
        opener: Any = getattr(self.app, "open_view", None)
        if pair is None or opener is None:
            return
        predicate = (pair.segment.column, str(pair.segment.value))
        args = ViewArgs(
            model=self.request.model, window=self.request.window, predicates=(predicate,)
        )
        opener("drift", args)
