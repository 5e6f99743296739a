"""The action registry: bindings, `?` help and the command palette are all generated from it.

An action has a stable id (what `keymap.yaml` remaps), a description, default
keys, the scope it is bound in and the Textual action it runs. Screens that
come later (drift, slices, latency, timeline, runbooks) add their rows here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

SCOPES: tuple[str, ...] = ("app", "overview", "model", "table", "input", "help")
SCOPE_TITLES: Mapping[str, str] = {
    "app": "Everywhere",
    "overview": "Overview",
    "model": "Model",
    "table": "Tables",
    "input": "Command line and filter",
    "help": "Help",
}


@dataclass(frozen=True)
class Action:
    """One action: id, description, default keys, scope, handler, short footer label (if shown)."""

    id: str
    description: str
    keys: tuple[str, ...]
    scope: str
    handler: str
    footer: str = ""
    palette: bool = True


ACTIONS: tuple[Action, ...] = (
    Action("quit", "Quit Vigil", ("q",), "app", "quit", footer="quit"),
    Action("help", "Show keys and actions", ("?",), "app", "show_help", footer="help"),
    Action("palette", "Open the command palette", ("ctrl+p",), "app", "command_palette"),
    Action(
        "command",
        "Command line (:model NAME, :overview, :help, :q)",
        (":",),
        "app",
        "command_line",
        footer="command",
    ),
    Action(
        "refresh", "Refresh the visible view now", ("r",), "app", "refresh_view", footer="refresh"
    ),
    Action(
        "overview.open",
        "Open the selected model",
        ("enter",),
        "overview",
        "open_selected",
        palette=False,
    ),
    Action(
        "overview.filter", "Filter models by name", ("/",), "overview", "filter", footer="filter"
    ),
    Action(
        "overview.clear", "Clear the filter", ("escape",), "overview", "clear_filter", palette=False
    ),
    Action("model.back", "Back to the overview", ("escape",), "model", "back", footer="back"),
    Action("row.down", "Next row", ("j", "down"), "table", "cursor_down", palette=False),
    Action("row.up", "Previous row", ("k", "up"), "table", "cursor_up", palette=False),
    Action("row.top", "First row", ("g", "ctrl+home"), "table", "scroll_top", palette=False),
    Action("row.bottom", "Last row", ("G", "ctrl+end"), "table", "scroll_bottom", palette=False),
    Action(
        "row.select",
        "Select the row under the cursor",
        ("enter",),
        "table",
        "select_cursor",
        palette=False,
    ),
    Action(
        "input.cancel",
        "Close the command line or filter",
        ("escape",),
        "input",
        "cancel",
        palette=False,
    ),
    Action("help.close", "Close help", ("escape", "q", "?"), "help", "close", palette=False),
)

BY_ID: Mapping[str, Action] = {action.id: action for action in ACTIONS}


def in_scope(scope: str) -> tuple[Action, ...]:
    """The actions bound in one scope, in registry order."""
    return tuple(action for action in ACTIONS if action.scope == scope)


def bindings_for(scope: str) -> list[Binding]:
    """Textual bindings for a scope, each with the action id so a keymap can remap it."""
    return [
        Binding(
            ",".join(action.keys),
            action.handler,
            action.footer or action.description,
            show=bool(action.footer),
            tooltip=action.description,
            id=action.id,
        )
        for action in in_scope(scope)
    ]


def effective_keys(action: Action, keymap: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The keys an action answers to once the user's keymap is applied."""
    return keymap.get(action.id, action.keys)


def textual_keymap(keymap: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """The user's overrides in the form `App.set_keymap` takes (id → comma-separated keys)."""
    return {action_id: ",".join(keys) for action_id, keys in keymap.items()}


def keys_label(keys: Iterable[str]) -> str:
    """Several keys joined for the help screen: `j / down`."""
    return " / ".join(keys)
