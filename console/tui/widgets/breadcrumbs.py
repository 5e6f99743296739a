"""Where you are: `vigil › context › overview › model › drift`, and the active filter.

Too long for the terminal, the path loses its middle crumbs first (`vigil › … ›
fraud-detector › drift`), so the current view and the filter always show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.events import Resize

from console.tui.widgets.line import Line

SEPARATOR = " › "
ELLIPSIS = "…"


def fit_crumbs(crumbs: Sequence[str], note: str, width: int) -> str:
    """The path and note in `width` columns: middle crumbs go first, then the note is cut."""
    parts = list(crumbs)
    tail = f" · {note}" if note else ""

    def line() -> str:
        """The crumbs joined, with the note."""
        return SEPARATOR.join(parts) + tail

    while len(line()) > width and len(parts) > 2:
        middle = 2 if len(parts) > 2 and parts[1] == ELLIPSIS else 1
        if middle >= len(parts) - 1:
            break
        del parts[middle]
        if parts[1] != ELLIPSIS:
            parts.insert(1, ELLIPSIS)
    text = line()
    if len(text) > width > 1:
        text = text[: width - 1] + ELLIPSIS
    return text


def runbook_crumbs(
    context: str, runbook: str, given: Mapping[str, object], *tail: str
) -> tuple[str, ...]:
    """`vigil › ctx › [model ›] runbooks › NAME …`: the model shows when the run is for one."""
    model = given.get("model")
    return ("vigil", context, *((str(model),) if model else ()), "runbooks", runbook, *tail)


class Breadcrumbs(Line):
    """The path from the overview to the current view; Escape walks back along the history."""

    def __init__(self, crumbs: Sequence[str]) -> None:
        """Show `crumbs` joined by a separator."""
        super().__init__(SEPARATOR.join(crumbs), id="breadcrumbs", markup=False)
        self.crumbs = tuple(crumbs)
        self.note = ""

    def show(self, crumbs: Sequence[str], note: str = "") -> None:
        """The path, then a note such as the filter (`· filter /tablet/ · 3 of 9 rows`)."""
        self.crumbs = tuple(crumbs)
        self.note = note
        self._fit()

    def on_resize(self, event: Resize) -> None:
        """Refit the path to the new width."""
        self._fit()

    def _fit(self) -> None:
        """Render the path for the current width (padding excluded)."""
        width = self.content_size.width or self.size.width or 80
        self.show_line(fit_crumbs(self.crumbs, self.note, width))
