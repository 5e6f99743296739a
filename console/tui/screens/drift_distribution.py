"""One feature's distribution: reference and current shares per bin, drawn, then the bin table."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from console.tui.messages import DistributionLoaded
from console.tui.screens.base import DataScreen
from console.tui.screens.drift import number
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from console.services.drift import Distribution, DriftResult

COLUMNS = ("№", "RANGE / VALUE", "REFERENCE", "CURRENT", "PSI TERM")
MARKERS = ("█", "▒")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PLOT_HEIGHT = 10


def bar_chart(distribution: Distribution, width: int, height: int = PLOT_HEIGHT) -> str:
    """Reference and current shares per bin as grouped bars (plotext, no colour: two markers)."""
    import plotext

    figure = plotext.figure
    figure.clear()
    figure.theme("colorless")
    figure.plot_size(max(30, width), height)
    positions = list(range(1, len(distribution.labels) + 1))
    shares = [list(distribution.reference), list(distribution.current)]
    figure.draw(figure.bar(positions, shares, marker=list(MARKERS)))
    return ANSI.sub("", str(figure.build())).rstrip()


class DistributionScreen(DataScreen):
    """Bins of one feature for the drift screen's window; Escape goes back to the table."""

    SCOPE = "distribution"
    AUTO_FOCUS = "#bins"
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, settings: Settings, result: DriftResult, feature: str) -> None:
        """The distribution of `feature` in the window and slice of `result`."""
        request = result.request
        crumbs = ("vigil", settings.context_name, "overview", request.model, "drift", feature)
        args = ViewArgs(model=request.model, window=request.window, predicates=request.predicates)
        super().__init__(settings, crumbs, args)
        self.result = result
        self.feature = feature
        self.distribution: Distribution | None = None

    def compose_body(self) -> Iterable[Widget]:
        """The legend line, the plot and the bin table."""
        with VerticalScroll(id="distribution-body"):
            yield Static("reading the bins…", id="distribution-head", markup=False)
            yield Static("", id="distribution-plot", markup=False)
            yield VigilTable(
                id="bins", cursor_type="row", empty_text="reading the bins…", tight=True
            )

    def on_mount(self) -> None:
        """Columns of the bin table."""
        super().on_mount()
        self.query_one("#bins", VigilTable).set_columns(COLUMNS)

    def refresh_interval(self) -> float:
        """The bins of a fixed window do not change: re-read rarely."""
        return self.settings.refresh_s * 6

    def load(self) -> DistributionLoaded:
        """Count the window in the table's bins (in a worker thread)."""
        from console.services.drift import analysis_context, feature_distribution

        source = analysis_context(self.settings.source)
        return DistributionLoaded(feature_distribution(source, self.result, self.feature))

    def on_distribution_loaded(self, message: DistributionLoaded) -> None:
        """Keep the distribution and redraw."""
        self.distribution = message.distribution
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place this screen's widgets change."""
        distribution = self.distribution
        if distribution is None:
            return
        row = next((r for r in self.result.table.features if r.feature == self.feature), None)
        verdict = f"PSI {number(row.psi)} · {row.status}" if row is not None else ""
        request = self.result.request
        self.query_one("#distribution-head", Static).update(
            f"{self.feature} · {verdict} · {request.window}"
            f" {self.result.start:%m-%d %H:%M}→{self.result.end:%m-%d %H:%M} UTC"
            f" · vs {self.result.reference_label}\n"
            f"share per bin: {MARKERS[0]} reference  {MARKERS[1]} current · x: bin № below"
        )
        plot_width = max(30, self.size.width - 4)
        height = PLOT_HEIGHT if self.size.height >= 40 else PLOT_HEIGHT - 2
        plot = bar_chart(distribution, plot_width, height)
        self.query_one("#distribution-plot", Static).update(plot)
        terms = distribution.terms
        rows = [
            (
                str(index),
                (
                    str(index + 1),
                    label,
                    f"{distribution.reference[index]:.2%}",
                    f"{distribution.current[index]:.2%}",
                    number(terms[index]) if index < len(terms) else "-",
                ),
            )
            for index, label in enumerate(distribution.labels)
        ]
        self.query_one("#bins", VigilTable).show_rows(rows, "no bins")
        self.render_filter()
        self.render_status()

    def status_text(self, now: datetime) -> str:
        """Where the shares come from."""
        if self.distribution is None:
            return ""
        return "shares: the window binned in the reference's bins (PSI terms from the table)"
