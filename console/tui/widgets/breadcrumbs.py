"""Where you are: `vigil › context › overview › model`."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static


class Breadcrumbs(Static):
    """The path from the overview to the current screen; Escape walks back along it."""

    def __init__(self, crumbs: Sequence[str]) -> None:
        """Show `crumbs` joined by a separator."""
        super().__init__(" › ".join(crumbs), id="breadcrumbs", markup=False)
