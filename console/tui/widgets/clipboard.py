"""The value under the cursor, for copying to the clipboard with OSC 52 (it reaches the laptop).

`App.copy_to_clipboard` writes the OSC 52 escape to the terminal, so over SSH
the text lands in the engineer's local clipboard, not on the serving host.
"""

from __future__ import annotations

from typing import Any

from console.tui.widgets.table import VigilTable
from console.tui.widgets.virtual_table import VirtualTable


def selected_value(screen: Any) -> str:
    """The focused table's row key (a model, a run id, a feature), a virtual row's text, or ""."""
    focused = getattr(screen, "focused", None)
    if isinstance(focused, VigilTable):
        return focused.selected_key() or ""
    if isinstance(focused, VirtualTable) and focused.row_count:
        cells = focused.rows.cells(focused.cursor_row)
        return "\t".join(str(cell).strip() for cell in cells)
    args = getattr(screen, "view_args", None)
    return str(getattr(args, "model", "") or "")
