"""`Line`: a one-row Static whose updates repaint it without a layout of the whole screen."""

from __future__ import annotations

from textual.widgets import Static


class Line(Static):
    """A Static fixed at one row by its CSS: new text repaints it; the same text does nothing.

    `Static.update` refreshes the layout by default, and a layout repaints every
    widget on the screen; a widget whose height never changes needs none.
    """

    shown_text: str | None = None

    def show_line(self, text: str) -> None:
        """Show `text` unless it is already shown."""
        if text != self.shown_text:
            self.shown_text = text
            self.update(text, layout=False)
