"""An internal error never shows a traceback: it is logged, one line says so, the console goes on.

Textual ends the app on any exception a handler lets through and prints a
traceback. `VigilApp` sends every such exception here instead (its
`_handle_exception`, the hook Textual calls for all of them, and its
`run_action`, through which every key, click and palette action runs). The
traceback goes to Vigil's log (`$XDG_STATE_HOME/vigil/vigil.log`), the screen
says `internal error in <screen>: <message>; details in <log>`, and then:

- an action or a worker that raised: nothing else stopped, the screen stays;
- a screen's (or one of its widgets') message handler that raised: Textual has
  stopped that screen's message loop, so the screen is closed and the view
  before it shows (the overview, at the bottom, is built again);
- the app's own handler: its message loop has stopped, so the console exits
  with that one line (exit code 1) instead of a traceback.
"""

from __future__ import annotations

import logging
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual._context import active_message_pump
from textual.app import App
from textual.dom import NoScreen
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import WorkerFailed

from console.tui.views import ViewArgs

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from console.tui.app import VigilApp

LOG_NAME = "vigil.log"
MAX_MESSAGE = 160
MAX_REBUILDS = 3
"""The overview is built again at most this often in one session; then the console exits."""
TIMEOUT_S = 30.0


def state_home() -> Path:
    """`$XDG_STATE_HOME/vigil`, or `~/.local/state/vigil`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vigil"


def log_path() -> Path:
    """Vigil's log file."""
    return state_home() / LOG_NAME


def log_traceback(error: BaseException, where: str) -> str:
    """Append the traceback to Vigil's log; the path, or why it could not be written."""
    path = log_path()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "".join(traceback.format_exception(error))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} pid {os.getpid()} internal error in {where}\n{text}\n")
    except OSError as problem:
        logging.getLogger("vigil").error("internal error in %s: %s", where, text)
        return f"(the log {path} is not writable: {problem.strerror})"
    return str(path)


def screen_name(screen: Screen[Any] | None) -> str:
    """`drift`, `overview`, … (the view's name), else the screen's class."""
    if screen is None:
        return "the console"
    place = getattr(screen, "place", None)
    if isinstance(place, tuple) and place and isinstance(place[0], str):
        return place[0]
    return type(screen).__name__.removesuffix("Screen").lower() or "screen"


def one_line(where: str, error: BaseException, details: str) -> str:
    """`internal error in drift: KeyError: 'psi'; details in ~/.local/state/vigil/vigil.log`."""
    text = " ".join(str(error).split())
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return f"internal error in {where}: {message}; details in {details}"


def report(app: App[Any], error: BaseException, screen: Screen[Any] | None, show: bool) -> str:
    """Log the traceback and (with `show`) say it on screen in one line; the line."""
    where = screen_name(screen)
    line = one_line(where, error, log_traceback(error, where))
    if show:
        say(app, line)
    return line


def say(app: App[Any], line: str) -> None:
    """The one line, on whatever screen is on top."""
    app.notify(line, title="internal error", severity="error", timeout=TIMEOUT_S, markup=False)


def screen_of(pump: MessagePump | None) -> Screen[Any] | None:
    """The screen a message pump belongs to (None for the app or an unmounted widget)."""
    if isinstance(pump, Screen):
        return pump
    if isinstance(pump, Widget):
        try:
            return pump.screen
        except NoScreen:  # a widget not (or no longer) on a screen
            return None
    return None


def handle_uncaught(app: VigilApp, error: Exception) -> None:
    """Textual's `_handle_exception`: log, one line, and go on where the loop that raised allows."""
    try:
        _recover(app, error)
    except Exception:  # reporting failed too: leave with the line rather than loop
        leave(app, error)


def _recover(app: VigilApp, error: Exception) -> None:
    """Report, then keep what still runs (see the module's docstring)."""
    pump = active_message_pump.get(None)
    if isinstance(error, WorkerFailed):  # a worker's own failure: no message loop stopped
        report(app, error.error, screen_of(pump) or app.screen, show=True)
        return
    screen = screen_of(pump)
    if screen is None or screen not in app.screen_stack:
        leave(app, error)
        return
    line = report(app, error, screen, show=False)
    app.call_later(replace_dead_screen, app, screen, line)


def leave(app: App[Any], error: BaseException) -> None:
    """The app's own message loop stopped: exit with the one line, never a traceback.

    The same three steps as Textual's own `_fatal_error`, with the line in
    place of the traceback.
    """
    where = screen_name(None)
    line = one_line(where, error, log_traceback(error, where))
    app._return_code = 1
    app._exit_renderables.append(Text(f"vigil: {line}"))
    app._close_messages_no_wait()


def replace_dead_screen(app: VigilApp, dead: Screen[Any], line: str) -> None:
    """Close a screen whose message loop stopped; the overview at the bottom is built again."""
    if dead not in app.screen_stack:
        return
    while app.screen is not dead:
        app.pop_screen()
    bottom = app.screen_stack.index(dead) <= 1
    app.pop_screen()
    if bottom:
        app.internal_rebuilds += 1
        if app.internal_rebuilds > MAX_REBUILDS:
            failed = f"vigil: {line} (the overview failed {MAX_REBUILDS + 1} times)"
            app.exit(1, return_code=1, message=Text(failed))
            return
        app.push_view(app.view_named("overview"), ViewArgs())
    say(app, line)
