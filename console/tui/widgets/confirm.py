"""The runbook gate's confirmation as a modal: y/N with No focused, or typing the model name.

`ConfirmModal` is a reusable `ModalScreen[bool]`. `ModalConfirmer` is the
engine's `Confirmer` for the console: the run's worker thread calls
`confirm`, which shows the modal on the UI thread and waits for the answer.
Escape (or anything but the expected answer) is No.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from console.tui.actions import bindings_for


class ConfirmModal(ModalScreen[bool]):
    """Ask one question; `require` asks for that exact text to be typed instead of y/N."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("confirm")]
    CSS_PATH: ClassVar[list[str | PurePath]] = ["confirm.tcss"]

    def __init__(self, prompt: str, *, require: str | None = None) -> None:
        """A modal for `prompt`; with `require`, an input that must hold exactly that text."""
        super().__init__()
        self.prompt = prompt
        self.require = require

    def compose(self) -> ComposeResult:
        """The prompt, the input (typed confirmation) and the two buttons, No focused."""
        with Vertical(id="confirm-box"):
            yield Static(self.prompt, id="confirm-prompt", markup=False)
            if self.require is not None:
                yield Input(placeholder=f"type {self.require}", id="confirm-input")
                yield Static("Enter confirms · Escape cancels", classes="confirm-hint")
            else:
                yield Static(
                    "y confirms · n, Escape or Enter on No cancels", classes="confirm-hint"
                )
            with Horizontal(id="confirm-buttons"):
                yield Button("No", id="confirm-no", variant="primary")
                yield Button("Yes", id="confirm-yes", variant="error")

    def on_mount(self) -> None:
        """No has the focus (for a typed confirmation, the input does)."""
        if self.require is not None:
            self.query_one("#confirm-input", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Yes answers True only if a typed confirmation matches; No answers False."""
        event.stop()
        if event.button.id == "confirm-yes":
            self.answer_yes()
        else:
            self.dismiss(False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the typed confirmation answers: the exact text, or No."""
        event.stop()
        self.dismiss(event.value == self.require)

    def answer_yes(self) -> None:
        """Yes, unless a typed confirmation does not match (then No, and say so)."""
        if self.require is None:
            self.dismiss(True)
            return
        typed = self.query_one("#confirm-input", Input).value
        if typed != self.require:
            self.notify(f"{typed!r} is not {self.require!r}: not confirmed", severity="warning")
        self.dismiss(typed == self.require)

    def action_confirm_yes(self) -> None:
        """The y key (only in y/N mode: in typed mode the input takes every key)."""
        if self.require is None:
            self.dismiss(True)

    def action_confirm_no(self) -> None:
        """The n or Escape key."""
        self.dismiss(False)


class ModalConfirmer:
    """The engine's Confirmer in the console: a modal, answered on the UI thread."""

    def __init__(self, app: App[Any], stopped: Callable[[], bool]) -> None:
        """Ask on `app`; give up (No) as soon as `stopped()` says the run was stopped."""
        self.app = app
        self.stopped = stopped
        self.prompts: list[str] = []

    def interactive(self) -> bool:
        """A human is at the console."""
        return True

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """From the run's thread: show the modal and block until it is answered."""
        self.prompts.append(prompt)
        answered = threading.Event()
        answer: list[bool] = []

        def done(value: bool | None) -> None:
            answer.append(bool(value))
            answered.set()

        def show() -> None:
            self.app.push_screen(ConfirmModal(prompt, require=require), callback=done)

        self.app.call_from_thread(show)
        while not answered.wait(0.1):
            if self.stopped():
                return False
        return answer[0]
