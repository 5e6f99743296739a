"""The postmortem screen (`:postmortem [MODEL]`): the generated postmortem, and `w` to save it.

The Markdown is what `vigil postmortem --model M` prints (the timeline, the
impact, the root-cause layer, the actions taken from the audit log, the
monitoring gap): both call `console.services.postmortem.generate_postmortem`,
here in a worker thread, so the console and the CLI cannot disagree. `w`
writes it to a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePath
from typing import ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Markdown, Static

from console.services.clock import Clock, utc_now
from console.tui.actions import bindings_for
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.inputs import ClosableInput


class PostmortemLoaded(Message):
    """The postmortem was generated (or why it was not)."""

    def __init__(self, markdown: str, error: str = "") -> None:
        """Carry the Markdown or the error."""
        super().__init__()
        self.markdown = markdown
        self.error = error


def generate(source: object, model: str, clock: Clock = utc_now) -> PostmortemLoaded:
    """The postmortem of `model` as `vigil postmortem --model M` prints it, or why not."""
    from backends.contracts import BackendError
    from console.analysis.inputs import InputError
    from console.services.drift import analysis_context
    from console.services.postmortem import generate_postmortem

    try:
        report = generate_postmortem(analysis_context(source), model or None, clock=clock)
    except InputError as error:
        return PostmortemLoaded("", str(error))
    except (BackendError, ValueError) as error:
        return PostmortemLoaded("", f"cannot write the postmortem of {model}: {error}")
    return PostmortemLoaded(report.to_markdown())


class PostmortemScreen(DataScreen):
    """The postmortem of one model, as Markdown; `w` writes it to a file."""

    SCOPE = "postmortem"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("postmortem")]
    AUTO_FOCUS = "#postmortem-body"
    """The document, not the first input (the hidden filter would swallow the keys)."""

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The postmortem of `args.model`."""
        model = args.model or ""
        super().__init__(settings, ("vigil", settings.context_name, model, "postmortem"), args)
        self.markdown = ""
        self.error = ""

    def compose_body(self) -> Iterable[Widget]:
        """The path prompt and the rendered Markdown."""
        yield Static("", id="postmortem-head", markup=False)
        yield ClosableInput(id="postmortem-ask", placeholder="write the postmortem to FILE.md")
        with VerticalScroll(id="postmortem-body"):
            yield Markdown("generating the postmortem…", id="postmortem")

    def load(self) -> PostmortemLoaded:
        """Generate the postmortem (in a worker thread; it reads the whole incident window)."""
        return generate(self.settings.source, self.view_args.model or "", self.settings.clock)

    def on_postmortem_loaded(self, message: PostmortemLoaded) -> None:
        """Keep and show the Markdown."""
        self.markdown, self.error = message.markdown, message.error
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the head and the document change."""
        head = f"✗ {self.error}" if self.error else "as `vigil postmortem` prints it · w writes it"
        self.query_one("#postmortem-head", Static).update(head)
        self.query_one("#postmortem", Markdown).update(self.markdown or "no postmortem")
        self.render_status()

    def refresh_interval(self) -> float:
        """Generating reads the whole window: every ten minutes at most."""
        return max(600.0, self.settings.refresh_s)

    def action_ask_write(self) -> None:
        """Ask where to write the Markdown."""
        if not self.markdown:
            self.notify("no postmortem to write yet", title="postmortem")
            return
        box = self.query_one("#postmortem-ask", ClosableInput)
        box.value = f"postmortem-{self.view_args.model}-{self.settings.clock():%Y%m%d-%H%M}.md"
        box.add_class("open")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Write the file (never over an existing one); say where, or why not."""
        if event.input.id != "postmortem-ask":
            super().on_input_submitted(event)
            return
        event.stop()
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            return
        if path.exists():
            self.notify(f"{path} exists; choose another name", severity="error")
            return
        try:
            path.write_text(self.markdown, encoding="utf-8")
        except OSError as error:
            self.notify(f"{path}: cannot write: {error.strerror}", severity="error")
            return
        self.close_input(event.input)
        self.notify(f"postmortem written to {path.resolve()}", title="postmortem")

    def focus_body(self) -> None:
        """The document has the focus."""
        self.query_one("#postmortem-body", VerticalScroll).focus()

    def status_text(self, now: datetime) -> str:
        """When the postmortem was generated."""
        if self.loaded_at is None:
            return "generating…"
        return f"generated {self.loaded_at:%H:%M:%S} UTC"
