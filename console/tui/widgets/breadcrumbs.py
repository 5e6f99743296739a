"""Where you are: `vigil › context › overview › model › drift`, and the active filter."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

SEPARATOR = " › "


class Breadcrumbs(Static):
    """The path from the overview to the current view; Escape walks back along the history."""

    def __init__(self, crumbs: Sequence[str]) -> None:
        """Show `crumbs` joined by a separator."""
        super().__init__(SEPARATOR.join(crumbs), id="breadcrumbs", markup=False)

    def show(self, crumbs: Sequence[str], note: str = "") -> None:
        """The path, then a note such as the filter (`· filter /tablet/ · 3 of 9 rows`)."""
        text = SEPARATOR.join(crumbs)
        self.update(f"{text} · {note}" if note else text)
