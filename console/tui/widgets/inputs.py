"""Inputs that open on a key and close on the registry's cancel key (Escape by default)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import BindingType
from textual.widgets import Input

from console.tui.actions import bindings_for

COMMAND_LINE_ID = "command-line"
"""The `:` line's id (its module is imported on first use, so screens find it by this)."""


class ClosableInput(Input):
    """An input that asks its screen to close it on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("input")]

    def action_cancel(self) -> None:
        """Let the screen hide this input and restore focus."""
        close: Any = getattr(self.screen, "close_input", None)
        if close is not None:
            close(self)
