"""`VigilApp`, the console; `run_app(context)` is what `vigil`, `vigil tui`, `vigil demo` run."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from console.services.backends import BackendSource
from console.services.clock import Clock, utc_now
from console.tui.actions import ACTIONS, bindings_for, textual_keymap
from console.tui.keymap import KeymapError, load_keymap
from console.tui.screens.help import HelpScreen
from console.tui.screens.model import ModelScreen
from console.tui.screens.overview import OverviewScreen
from console.tui.settings import REFRESH_S, Settings
from console.tui.widgets.command_line import CommandError, parse_command

FALLBACK_THEME = "textual-dark"


class VigilApp(App[int]):
    """Overview → model, a `:` command line, `/` filter, palette and help from one registry."""

    CSS_PATH = "vigil.tcss"
    TITLE = "Vigil"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("app")]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        source: BackendSource,
        *,
        context_name: str = "",
        theme: str = FALLBACK_THEME,
        clock: Clock = utc_now,
        keymap: Mapping[str, tuple[str, ...]] | None = None,
        refresh_s: float = REFRESH_S,
        timeout_s: float = 10.0,
        live_ticks: bool = True,
    ) -> None:
        """Configure the app; nothing is read from a backend until the first screen shows."""
        super().__init__()
        self.settings = Settings(
            source=source,
            context_name=(context_name or str(getattr(source, "name", "vigil")))
            + (" (read-only)" if getattr(source, "read_only", False) else ""),
            clock=clock,
            refresh_s=refresh_s,
            timeout_s=timeout_s,
            keymap=dict(keymap or {}),
            live_ticks=live_ticks,
        )
        self.requested_theme = theme

    def on_mount(self) -> None:
        """Apply the theme and keymap, then show the overview (its reads start in a worker)."""
        if self.requested_theme in self.available_themes:
            self.theme = self.requested_theme
        else:
            self.theme = FALLBACK_THEME
            self.notify(f"unknown theme {self.requested_theme!r}; using {FALLBACK_THEME}")
        self.set_keymap(textual_keymap(self.settings.keymap))
        self.push_screen(OverviewScreen(self.settings))

    def open_model(self, model: str) -> None:
        """Show the model screen for `model` on top of the overview."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, ModelScreen):
            self.pop_screen()
        self.push_screen(ModelScreen(self.settings, model))

    def go_overview(self) -> None:
        """Pop back to the overview."""
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_show_help(self) -> None:
        """Show help generated from the action registry."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap))

    def action_command_line(self) -> None:
        """Open the `:` command line on the current screen."""
        opener: Any = getattr(self.screen, "action_command_line", None)
        if opener is not None:
            opener()

    def action_refresh_view(self) -> None:
        """Read the visible screen's backends now."""
        refresher: Any = getattr(self.screen, "refresh_data", None)
        if refresher is not None:
            refresher()

    def run_command_line(self, text: str) -> None:
        """Run a `:` command; a bad one is reported, never raised."""
        try:
            command = parse_command(text)
        except CommandError as error:
            self.notify(str(error), title="command", severity="error")
            return
        if command.verb == "quit":
            self.exit(0)
        elif command.verb == "overview":
            self.go_overview()
        elif command.verb == "model":
            self.open_model(command.argument)
        elif command.verb == "help":
            self.action_show_help()
        elif command.verb == "refresh":
            self.action_refresh_view()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette: registry actions usable here, then one entry per model on the overview."""
        scope = getattr(screen, "SCOPE", "app")
        for action in ACTIONS:
            if action.palette and action.scope in ("app", scope):
                target = action.handler if action.scope == "app" else f"screen.{action.handler}"
                yield SystemCommand(action.description, action.id, partial(self.run_action, target))
        overview = next((s for s in self.screen_stack if isinstance(s, OverviewScreen)), None)
        if overview is not None and overview.overview is not None:
            for row in overview.overview.rows:
                yield SystemCommand(
                    f"Open model {row.model}", "model screen", partial(self.open_model, row.model)
                )
        yield SystemCommand("Theme", "Change the theme", self.action_change_theme)


def run_app(
    context: Any,
    *,
    keymap: Mapping[str, tuple[str, ...]] | None = None,
    keymap_file: Path | None = None,
) -> int:
    """Run the console on a context until the user quits; a bad keymap is exit code 2."""
    if keymap is None:
        try:
            keymap = load_keymap(keymap_file)
        except KeymapError as error:
            print(f"vigil: {error}", file=sys.stderr)
            return 2
    app = VigilApp(
        context,
        context_name=str(getattr(context, "name", "vigil")),
        theme=str(getattr(context, "theme", FALLBACK_THEME)),
        keymap=keymap,
    )
    result = app.run()
    return int(result or 0)
