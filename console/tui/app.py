"""`VigilApp`, the console; `run_app(context)` is what `vigil`, `vigil tui`, `vigil demo` run."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from console.services.clock import Clock, utc_now
from console.tui.actions import bindings_for, textual_keymap
from console.tui.hangup import ExitOnHangup
from console.tui.keymap import KeymapError, load_keymap
from console.tui.replay.state import asked_instant, enter_replay, live_settings, stepped
from console.tui.settings import REFRESH_S, Settings
from console.tui.views import VIEWS, View, ViewArgs, view_available

if TYPE_CHECKING:
    from datetime import datetime

    from textual.actions import ActionParseResult
    from textual.command import Provider
    from textual.dom import DOMNode

    from console.services.backends import BackendSource

FALLBACK_THEME = "textual-dark"
STARTUP_GC_OFF_S = 10.0
"""The longest the GC stays off while the console starts (see `VigilApp.collect_again`)."""
FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR)
"""A read that ended (a cancelled one was superseded by a newer read, still to come)."""
MAX_FORWARD = 50
WORKSPACE_PREFIX = "workspace:"
REPLAY_HANDLERS = frozenset({"replay_step", "replay_leave"})
MODEL_FROM_SCREEN = ("runbooks",)
"""Views whose model is optional but taken from the screen they are opened on (the form's model)."""


def vigil_commands() -> type[Provider]:
    """The palette provider, imported when the palette first opens (not at start-up)."""
    from console.tui.palette import VigilCommands

    return VigilCommands


class VigilApp(App[int]):
    """Views from one registry, a `:` command line, history, `/` filter, palette and help."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [
        "vigil.tcss",
        "screens/acting.tcss",
        "replay/replay.tcss",
    ]
    """The overview's acting.tcss too: read up front, so the first screen needs no CSS reparse."""
    TITLE = "Vigil"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("app"), *bindings_for("replay")]
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {vigil_commands}
    internal_rebuilds = 0
    """How often the overview was built again after an internal error (`internal_errors`)."""

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
        at: datetime | None = None,
    ) -> None:
        """Configure the app (replaying `at` if given); nothing is read until a screen shows."""
        super().__init__()
        self.settings = Settings(
            source=source,
            context_name=context_label(source, context_name),
            clock=clock,
            refresh_s=refresh_s,
            timeout_s=timeout_s,
            keymap=dict(keymap or {}),
            live_ticks=live_ticks,
        )
        if at is not None:
            self.settings = enter_replay(self.settings, at)
        self.requested_theme = theme
        self.forward: list[tuple[str, ViewArgs]] = []
        self.modules_frozen = 0

    def on_mount(self) -> None:
        """Apply the theme and keymap, then show the overview (its reads start in a worker)."""
        if self.requested_theme in self.available_themes:
            self.theme = self.requested_theme
        else:
            self.theme = FALLBACK_THEME
            self.notify(f"unknown theme {self.requested_theme!r}; using {FALLBACK_THEME}")
        self.set_keymap(textual_keymap(self.settings.keymap))
        self.push_view(self.view_named("overview"), ViewArgs())
        self.call_after_refresh(self.freeze_long_lived)
        gc.disable()  # until the first read has imported its stack: see `collect_again`
        self.set_timer(STARTUP_GC_OFF_S, self.collect_again)

    def freeze_long_lived(self) -> None:
        """Move every object into the GC's permanent generation if modules were imported since.

        Modules, classes and the app live as long as the process; left in the
        oldest generation, each full collection walks them all (~70 ms once the
        analysis stack is loaded), in the middle of a key press or a page-down.
        A freeze happens only after new imports (a few times a session), so the
        few screens alive at that moment are all it can keep from collection.
        """
        if len(sys.modules) > self.modules_frozen:
            self.modules_frozen = len(sys.modules)
            gc.freeze()

    def collect_again(self) -> None:
        """Freeze what the start-up imported, then let the GC collect again.

        The start-up (the first frame, then the first read importing SQLAlchemy
        and numpy in a worker) allocates almost only objects that live as long
        as the process: collecting them is work with nothing to free (about a
        tenth of the time to the overview's data). Called when the first screen
        read ends, whatever its outcome, or after `STARTUP_GC_OFF_S` at the latest
        (`on_unmount` turns it on too).
        """
        self.freeze_long_lived()
        gc.enable()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers; a screen calls `worker_finished` (the message does not bubble)."""
        self.worker_finished(event.state)

    def worker_finished(self, state: WorkerState, screen_read: bool = False) -> None:
        """A worker that succeeded may have imported a library: freeze what is long-lived.

        The end of a screen's read (the overview's first, at start-up) turns the GC on again.
        """
        if state == WorkerState.SUCCESS:
            self.freeze_long_lived()
        if screen_read and state in FINISHED and not gc.isenabled():
            self.collect_again()

    def on_unmount(self) -> None:
        """Leaving: the GC is on again, whatever happened during the start-up."""
        gc.enable()

    def _handle_exception(self, error: Exception) -> None:
        """Textual's hook for any uncaught exception: logged, one line, never a traceback."""
        from console.tui.internal_errors import handle_uncaught

        handle_uncaught(self, error)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key, click and palette action: one that raises is reported and stops nothing."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            from console.tui.internal_errors import report

            report(self, error, self.screen, show=True)
            return True

    def view_named(self, name: str) -> View:
        """A registered view by name (the built-in ones always exist)."""
        view = VIEWS.lookup(name)
        assert view is not None, name
        return view

    def known_models(self) -> list[str]:
        """Model names the overview has read (empty before its first read)."""
        from console.tui.screens.overview import OverviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen) and screen.overview is not None:
                return [row.model for row in screen.overview.rows]
        return []

    def open_view(self, name: str, args: ViewArgs | None = None) -> None:
        """Open a view by name with arguments; a problem is a notification, never an exception."""
        view = VIEWS.lookup(name)
        args = args or ViewArgs()
        if view is None:
            self.notify(f"no view named {name!r}", title="command", severity="error")
            return
        switching = args.context and args.context != self.settings.context_name.split(" ")[0]
        if switching and not self.switch_context(str(args.context)):
            return
        args = replace(args, context=None)
        if view.name == "overview":
            self.go_overview()
            return
        if not view_available(view):
            self.notify(f"the {view.title.lower()} screen is not built yet", title=view.name)
            return
        resolved = self.resolve_model(view, args)
        if resolved is None:
            return
        self.forward.clear()
        self.push_view(view, resolved)

    def resolve_model(self, view: View, args: ViewArgs) -> ViewArgs | None:
        """Fill in the model from the current screen, the context default or the only model."""
        known = self.known_models()
        if args.model:
            if known and args.model not in known:
                self.notify(
                    f"no model named {args.model!r} (known: {', '.join(known)})",
                    title="command",
                    severity="error",
                )
                return None
            return args
        if not view.needs_model:
            shown = current_model(self.screen) if view.name in MODEL_FROM_SCREEN else None
            return args.with_model(shown) if shown else args
        model = current_model(self.screen) or getattr(self.settings.source, "default_model", None)
        if not model and len(known) == 1:
            model = known[0]
        if not model:
            self.notify(f"which model? usage: {view.usage}", title=view.name, severity="error")
            return None
        return args.with_model(str(model))

    def push_view(self, view: View, args: ViewArgs) -> None:
        """Build the view's screen and show it; an identical view already open is returned to."""
        for depth, screen in enumerate(self.screen_stack):
            if getattr(screen, "place", None) == (view.name, args):
                while len(self.screen_stack) > depth + 1:
                    self.pop_screen()
                return
        screen = view.screen(self.settings, args)
        screen.place = (view.name, args)  # type: ignore[attr-defined]
        self.push_screen(screen)

    def go_overview(self) -> None:
        """Pop back to the overview (the bottom of the history)."""
        self.forward.clear()
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def open_model(self, model: str) -> None:
        """Show the model screen for `model`."""
        self.open_view("model", ViewArgs(model=model))

    def action_go_back(self) -> None:
        """Back to the previous view (remembered for `]`)."""
        if len(self.screen_stack) <= 2:
            return
        place = getattr(self.screen, "place", None)
        self.pop_screen()
        if place is not None:
            self.forward.append(place)
            del self.forward[:-MAX_FORWARD]

    def action_history_forward(self) -> None:
        """Forward to the view `[` or Escape left."""
        if not self.forward:
            self.notify("no later view in the history", title="history")
            return
        name, args = self.forward.pop()
        self.push_view(self.view_named(name), args)

    def switch_context(self, name: str) -> bool:
        """Reopen the console on another configured context; False (and a message) if unknown."""
        from console.services.contexts import ContextError, open_named_context

        try:
            source = open_named_context(name)
        except ContextError as error:
            self.notify(str(error), title="context", severity="error")
            return False
        at = self.settings.replay_at
        self.settings = replace(
            live_settings(self.settings), source=source, context_name=context_label(source, name)
        )
        if at is not None:
            self.settings = enter_replay(self.settings, at)
        self.forward.clear()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_view(self.view_named("overview"), ViewArgs())
        return True

    def action_show_help(self) -> None:
        """Show help generated from the action registry."""
        from console.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap, replaying=self.settings.replaying))

    def action_command_line(self) -> None:
        """Open the `:` command line on the current screen."""
        opener: Any = getattr(self.screen, "action_command_line", None)
        if opener is not None:
            opener()

    def action_copy_selected(self) -> None:
        """Copy the value under the cursor with OSC 52 (the terminal's clipboard, over SSH too)."""
        from console.tui.widgets.clipboard import selected_value

        text = selected_value(self.screen)
        if not text:
            self.notify("nothing selected to copy", title="copy")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {text!r} to the clipboard (OSC 52)", title="copy")

    def action_refresh_view(self) -> None:
        """Read the visible screen's backends now."""
        refresher: Any = getattr(self.screen, "refresh_data", None)
        if refresher is not None:
            refresher()

    def replay_to(self, at: datetime | None) -> None:
        """Show every open view as of `at`, read-only (None: live again), keeping the history."""
        self.settings = (
            live_settings(self.settings) if at is None else enter_replay(self.settings, at)
        )
        places = [getattr(screen, "place", None) for screen in self.screen_stack[1:]]
        while len(self.screen_stack) > 1:
            self.pop_screen()
        for place in places:
            if place is not None:
                self.push_view(self.view_named(place[0]), place[1])

    def action_replay_step(self, minutes: int) -> None:
        """Move the replayed instant by `minutes` (refused past now)."""
        from console.services.clock import InstantError

        try:
            self.replay_to(stepped(self.settings, minutes))
        except InstantError as error:
            self.notify(str(error), title="replay", severity="warning")

    def action_replay_leave(self) -> None:
        """Leave the replay: every view live again."""
        self.replay_to(None)
        self.notify("live again: windows end now", title="replay")

    def replay_command(self, words: str) -> None:
        """`:at TIME` starts or moves the replay, `:at now` leaves it; bad input is a message."""
        from console.services.clock import InstantError

        try:
            at = asked_instant(words, self.settings)
        except InstantError as error:
            self.notify(str(error), title=":at", severity="error")
            return
        if at is None and not self.settings.replaying:
            self.notify("already live", title=":at")
            return
        if at is None:
            self.action_replay_leave()
            return
        self.replay_to(at)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The replay keys exist (footer, palette) only while replaying."""
        if action in REPLAY_HANDLERS and not self.settings.replaying:
            return False
        return super().check_action(action, parameters)

    def run_command_line(self, text: str) -> None:
        """Run a `:` command; a bad one is reported, never raised."""
        from console.tui.widgets.command_line import CommandError, parse_command

        verb, _, rest = text.strip().lstrip(":").partition(" ")
        if verb.lower() == "at":
            self.replay_command(rest)
            return
        try:
            command = parse_command(text, self.known_models())
        except CommandError as error:
            self.notify(str(error), title="command", severity="error")
            return
        if command.verb == "quit":
            self.exit(0)
        elif command.verb == "help":
            self.action_show_help()
        elif command.verb == "refresh":
            self.action_refresh_view()
        elif command.verb == "run":
            from console.tui.screens.run_form import run_command

            run_command(self, self.settings, command.words, current_model(self.screen))
        elif command.view is not None:
            self.open_view(command.view.name, command.args)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[Any]:
        """Textual's own system commands minus those Vigil's palette provider already offers."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Keys"):
                yield command


def current_model(screen: Screen[Any]) -> str | None:
    """The model a screen is about, or the row under the overview's cursor."""
    args = getattr(screen, "view_args", None)
    if isinstance(args, ViewArgs) and args.model:
        return args.model
    selected: Any = getattr(screen, "selected_model", None)
    return selected() if callable(selected) else None


def context_label(source: Any, name: str = "") -> str:
    """The context's name for the breadcrumbs, marked when it is read-only."""
    label = name or str(getattr(source, "name", "vigil"))
    if label.startswith(WORKSPACE_PREFIX):
        label = Path(label.removeprefix(WORKSPACE_PREFIX)).name or label
    return label + (" (read-only)" if getattr(source, "read_only", False) else "")


def run_app(
    context: Any,
    *,
    keymap: Mapping[str, tuple[str, ...]] | None = None,
    keymap_file: Path | None = None,
    at: datetime | None = None,
) -> int:
    """Run the console on a context (as of `at` if given) until the user quits; bad keymap: 2."""
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
        at=at,
    )
    hangup = ExitOnHangup(app)
    try:
        result = app.run()
    finally:
        hangup.disarm()
    return int(result or app.return_code or 0)
