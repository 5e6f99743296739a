"""The frame every data screen shares: breadcrumbs, body, command line, status bar, footer.

A subclass reads its backends in `load` (run in a thread worker that only posts
a message) and updates its widgets in `render_view`, the one place they change.
Its refresh timer runs only while the screen is visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.worker import get_current_worker

from console.tui.settings import Settings
from console.tui.widgets.breadcrumbs import Breadcrumbs
from console.tui.widgets.command_line import CommandLine
from console.tui.widgets.status_bar import StatusBar


class DataScreen(Screen[None]):
    """A screen that reads backends in a worker on its own timer and shows staleness."""

    SCOPE = "app"

    def __init__(self, settings: Settings, crumbs: tuple[str, ...]) -> None:
        """Remember the settings and the breadcrumb path."""
        super().__init__()
        self.settings = settings
        self.crumbs = crumbs
        self.loaded_at: datetime | None = None
        self._poll_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        """Breadcrumbs, the body, then the command line, status bar and footer."""
        yield Breadcrumbs(self.crumbs)
        yield from self.compose_body()
        yield CommandLine()
        yield StatusBar()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        """The screen's own widgets."""
        return ()

    def on_mount(self) -> None:
        """Start the refresh timer and, with a live clock, the staleness tick."""
        self._poll_timers.append(self.set_interval(self.settings.refresh_s, self.refresh_data))
        if self.settings.live_ticks:
            self._poll_timers.append(self.set_interval(1.0, self.render_status))

    def on_screen_resume(self) -> None:
        """Visible: restart the timers; read after the next paint if the data is old or missing."""
        for timer in self._poll_timers:
            timer.resume()
        now = self.settings.clock()
        if (
            self.loaded_at is None
            or (now - self.loaded_at).total_seconds() >= self.settings.refresh_s
        ):
            self.refresh_data()

    def on_screen_suspend(self) -> None:
        """Hidden: stop polling the backends."""
        for timer in self._poll_timers:
            timer.pause()

    def refresh_data(self) -> None:
        """Read the backends in a thread worker; only the latest request is kept."""
        self.run_worker(self._load_and_post, thread=True, exclusive=True, group=type(self).__name__)

    def _load_and_post(self) -> None:
        """Worker body: read, then post the result unless a newer read superseded this one."""
        message = self.load()
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def load(self) -> Message:
        """Read the backends and wrap the result in a message (runs in a thread)."""
        raise NotImplementedError

    def render_status(self) -> None:
        """Refresh the status bar's staleness text."""
        self.query_one(StatusBar).update(self.status_text(self.settings.clock()))

    def status_text(self, now: datetime) -> str:
        """The status line for `now`."""
        return "loading…"

    def action_command_line(self) -> None:
        """Show and focus the `:` command line."""
        line = self.query_one(CommandLine)
        line.value = ""
        line.add_class("open")
        line.focus()

    def on_input_submitted(self, event: CommandLine.Submitted) -> None:
        """Run a command typed on the command line."""
        if isinstance(event.input, CommandLine):
            event.stop()
            text = event.value
            self.close_input(event.input)
            run: Any = getattr(self.app, "run_command_line", None)
            if run is not None:
                run(text)

    def close_input(self, line: Input) -> None:
        """Hide the command line and give focus back to the body."""
        line.remove_class("open")
        line.value = ""
        self.focus_body()

    def focus_body(self) -> None:
        """Focus the screen's main widget."""
        self.focus_next()
