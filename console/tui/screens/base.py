"""The frame every data screen shares: breadcrumbs, filter, body, command line, status, footer.

A subclass reads its backends in `load` (run in a thread worker that only posts
a message) and updates its widgets in `render_view`, the one place they change.
The next refresh is armed only after a read ends (a slow backend slows the
cadence instead of piling reads up), only while the screen is visible and not
paused. Worker failures reach the status bar through `on_worker_state_changed`,
the one handler for them; none stops the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from console.services.reading import describe_error
from console.tui.actions import bindings_for
from console.tui.messages import Progress
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.breadcrumbs import Breadcrumbs
from console.tui.widgets.footer import CoalescedFooter
from console.tui.widgets.inputs import COMMAND_LINE_ID, ClosableInput
from console.tui.widgets.status_bar import StatusBar
from console.tui.widgets.table import TableFilter, VigilTable

if TYPE_CHECKING:
    from console.tui.widgets.command_line import CommandLine

BOTTOM_DEPTH = 2
"""Textual's default screen and the overview: the history has nowhere to go back from there."""


class DataScreen(Screen[None]):
    """A screen that reads backends in a worker on its own timer and shows staleness."""

    SCOPE = "app"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("screen")]
    FIRST_PAINT_FIRST = True
    """Start the first read after the first paint (a cheap read that must not delay the frame)."""

    def __init__(
        self, settings: Settings, crumbs: tuple[str, ...], args: ViewArgs | None = None
    ) -> None:
        """Remember the settings, the view's arguments and the breadcrumb path."""
        super().__init__()
        self.settings = settings
        self.view_args = args or ViewArgs()
        self.crumbs = crumbs
        self.loaded_at: datetime | None = None
        self.paused = False
        self.failure = ""
        self.progress = ""
        self.table_filter: TableFilter | None = None
        self.shown = False
        self._next_read: Timer | None = None
        self._ticks: list[Timer] = []

    def compose(self) -> ComposeResult:
        """Breadcrumbs, the body, the status bar and footer; `/` and `:` add their inputs."""
        yield Breadcrumbs(self.crumbs)
        if self.settings.replaying:
            from console.tui.replay.banner import ReplayBanner

            yield ReplayBanner(self.settings)
        yield from self.compose_body()
        yield StatusBar()
        yield CoalescedFooter(show_command_palette=False, compact=True)

    def compose_body(self) -> Iterable[Widget]:
        """The screen's own widgets."""
        return ()

    def on_mount(self) -> None:
        """With a live clock, tick the staleness text every second."""
        if self.settings.live_ticks:
            self._ticks.append(self.set_interval(1.0, self.render_status))

    def on_screen_resume(self) -> None:
        """Visible: read after the first paint if nothing is shown yet, now if old, else arm."""
        self.shown = True
        for timer in self._ticks:
            timer.resume()
        now = self.settings.clock()
        stale = self.loaded_at is None or (
            (now - self.loaded_at).total_seconds() >= self.refresh_interval()
        )
        if self.loaded_at is None and self.FIRST_PAINT_FIRST:
            self.call_after_refresh(self.refresh_data)
        elif stale:
            self.refresh_data()
        else:
            self.arm_refresh()

    def on_screen_suspend(self) -> None:
        """Hidden: stop polling the backends."""
        self.shown = False
        for timer in self._ticks:
            timer.pause()
        self._disarm()

    def arm_refresh(self) -> None:
        """Schedule the next read (one at a time), unless paused or hidden."""
        self._disarm()
        if not self.paused and self.shown:
            self._next_read = self.set_timer(self.refresh_interval(), self.refresh_data)

    def refresh_interval(self) -> float:
        """Seconds between reads while visible (a costly analysis screen waits longer)."""
        return self.settings.refresh_s

    def _disarm(self) -> None:
        """Cancel a scheduled read."""
        if self._next_read is not None:
            self._next_read.stop()
            self._next_read = None

    def twin(self, command: str) -> str:
        """The command that prints this screen's numbers (`vigil --at T ...` in a replay)."""
        from console.tui.replay.state import replayed_twin

        return replayed_twin(command, self.settings)

    def on_stack(self) -> bool:
        """Whether the screen is still in the app's stack (one popped by a replay step is not)."""
        return self in self.app.screen_stack

    def refresh_data(self) -> None:
        """Read the backends in a thread worker; a newer request cancels the older one."""
        self._disarm()
        if not self.on_stack():
            return
        self.run_worker(
            self._load_and_post,
            thread=True,
            exclusive=True,
            group=type(self).__name__,
            exit_on_error=False,
        )

    def _load_and_post(self) -> None:
        """Worker body: read, then post the result unless a newer read superseded this one."""
        message = self.load()
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def load(self) -> Message:
        """Read the backends and wrap the result in a message (runs in a thread)."""
        raise NotImplementedError

    def report_progress(self, text: str) -> None:
        """From a worker: show how far a long computation is (coalesced messages)."""
        self.post_message(Progress(text))

    def on_progress(self, message: Progress) -> None:
        """Show a worker's progress in the status bar."""
        self.progress = message.text
        self.render_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for worker outcomes: errors to the status bar, then re-arm the timer."""
        own_read = event.worker.group == type(self).__name__
        finished: Any = getattr(self.app, "worker_finished", None)
        if finished is not None:
            finished(event.state, own_read)
        if not own_read:
            return
        if event.state == WorkerState.ERROR:
            self.failure = f"✗ {describe_error(event.worker.error)}"
            self.load_failed(self.failure)
        elif event.state == WorkerState.SUCCESS:
            self.failure = ""
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.progress = ""
            self.render_status()
            self.arm_refresh()

    def load_failed(self, text: str) -> None:
        """A read raised: a screen may say so in its body too (the status bar always does)."""

    def render_status(self) -> None:
        """Refresh the status bar: failure, progress, pause, then the screen's staleness."""
        if not self.on_stack():
            return
        parts = [self.failure, self.progress, "paused (p resumes)" if self.paused else ""]
        parts.append(self.status_text(self.settings.clock()))
        self.query_one(StatusBar).show_line(" · ".join(part for part in parts if part))

    def status_text(self, now: datetime) -> str:
        """The status line for `now`."""
        return "loading…"

    def action_pause(self) -> None:
        """Pause or resume this view's refresh timer."""
        self.paused = not self.paused
        if self.paused:
            self._disarm()
        else:
            self.refresh_data()
        self.render_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape (back) is bound, and in the footer, only where it does something."""
        if action == "back":
            return self.table_filter is not None or len(self.app.screen_stack) > BOTTOM_DEPTH
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        """Clear an active filter first, else go back to the previous view."""
        if self.table_filter is not None:
            self.set_filter("")
            return
        back: Any = getattr(self.app, "action_go_back", None)
        if back is not None:
            back()

    def action_open_view(self, name: str) -> None:
        """Open another view of this screen's model (or of the selected one)."""
        from console.tui.app import current_model

        opener: Any = getattr(self.app, "open_view", None)
        if opener is not None:
            opener(name, ViewArgs(model=current_model(self)))

    def action_filter(self) -> None:
        """Show and focus the filter for this screen's table."""
        box = self.filter_input()
        box.value = self.table_filter.text if self.table_filter else ""
        box.add_class("open")
        box.focus()

    def filter_target(self) -> VigilTable | None:
        """The table `/` filters: the focused one, else the screen's first."""
        focused = self.focused
        if isinstance(focused, VigilTable):
            return focused
        tables = list(self.query(VigilTable))
        return tables[0] if tables else None

    def set_filter(self, text: str) -> None:
        """Apply a filter (or clear it with empty text) and show it in the header."""
        self.table_filter = TableFilter.parse(text)
        self.refresh_bindings()
        table = self.filter_target()
        if table is not None:
            table.apply_filter(self.table_filter)
        self.render_filter()

    def render_filter(self) -> None:
        """The header line: breadcrumbs plus the active filter and how many rows it keeps."""
        table = self.filter_target()
        note = ""
        if self.table_filter is not None and table is not None:
            note = f"filter {self.table_filter.label} · {table.shown_text()}"
        self.query_one(Breadcrumbs).show(self.crumbs, note)

    def filter_input(self) -> ClosableInput:
        """The filter, under the header; mounted on the first `/` (not every screen is filtered)."""
        found = self.query("#filter")
        if found:
            return found.first(ClosableInput)
        box = ClosableInput(placeholder="filter: text or regex, !text inverts", id="filter")
        header = self.query("ReplayBanner") or self.query(Breadcrumbs)
        self.mount(box, after=header.last())
        return box

    def command_line(self) -> CommandLine:
        """The `:` line, above the status bar; mounted (and imported) on first use."""
        from console.tui.widgets.command_line import CommandLine

        found = self.query(CommandLine)
        if found:
            return found.first()
        line = CommandLine(self.completion_names)
        self.mount(line, before=self.query_one(StatusBar))
        return line

    def action_command_line(self) -> None:
        """Show and focus the `:` command line."""
        line = self.command_line()
        line.value = ""
        line.add_class("open")
        line.focus()

    def completion_names(self) -> tuple[list[str], list[str]]:
        """Models and contexts for Tab completion on the command line."""
        from console.services.contexts import context_names

        known: Any = getattr(self.app, "known_models", None)
        return (known() if known is not None else [], context_names())

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        if event.input.id == "filter":
            event.stop()
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter runs a command from the command line, or keeps the filter and returns."""
        if event.input.id == COMMAND_LINE_ID:
            event.stop()
            text = event.value
            self.close_input(event.input)
            run: Any = getattr(self.app, "run_command_line", None)
            if run is not None:
                run(text)
        elif event.input.id == "filter":
            event.stop()
            event.input.remove_class("open")
            self.focus_body()

    def close_input(self, line: Input) -> None:
        """Hide an input (closing the filter also clears it) and give focus back to the body."""
        if line.id == "filter":
            self.set_filter("")
        line.remove_class("open")
        line.value = ""
        self.focus_body()

    def focus_body(self) -> None:
        """Focus the screen's main widget."""
        table = self.filter_target()
        if table is not None:
            table.focus()
        else:
            self.focus_next()
