"""`?` help: every action of the registry with the keys it answers to after the user's keymap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.tui.actions import (
    SCOPE_TITLES,
    SCOPES,
    bindings_for,
    effective_keys,
    in_scope,
    keys_label,
)


def help_lines(keymap: Mapping[str, tuple[str, ...]], *, replaying: bool = False) -> list[str]:
    """The help text, grouped by scope, generated from the action registry (replay keys if on)."""
    lines: list[str] = []
    for scope in SCOPES:
        actions = in_scope(scope)
        if not actions or (scope == "replay" and not replaying):
            continue
        lines.append(SCOPE_TITLES[scope])
        for action in actions:
            keys = keys_label(effective_keys(action, keymap))
            lines.append(f"  {keys:<16} {action.description}  [{action.id}]")
        lines.append("")
    lines.append("Remap any action by id in $XDG_CONFIG_HOME/vigil/keymap.yaml")
    return lines


class HelpScreen(ModalScreen[None]):
    """A modal listing of every key; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("help")]

    def __init__(self, keymap: Mapping[str, tuple[str, ...]], *, replaying: bool = False) -> None:
        """Help for the registry with `keymap` applied; the replay keys only while replaying."""
        super().__init__()
        self.keymap = keymap
        self.replaying = replaying

    def compose(self) -> ComposeResult:
        """A titled, scrollable panel."""
        with VerticalScroll(id="help-panel"):
            yield Static("Keys and actions", id="help-title")
            yield Static(
                "\n".join(help_lines(self.keymap, replaying=self.replaying)),
                id="help-body",
                markup=False,
            )

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
