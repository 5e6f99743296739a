"""Quick actions where the problem is seen: rollback, canary weight, promote, retrain, note.

Each is a bundled runbook with the selected model filled in, so it takes the
same path as `:run`: the plan, the gate's confirmation, the run, the audit.
An action is offered only when the context's backend for its role has the
capability (`console.services.runbook_session.action_states`, read in a
worker); on a read-only context it stays visible, a line says why it is
disabled, and trying it changes nothing and says why.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.message import Message
from textual.widgets import Static

from console.tui.screens.base import DataScreen
from console.tui.widgets.inputs import COMMAND_LINE_ID
from console.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.app import App

    from console.services.runbook_session import ActionState
    from console.tui.settings import Settings


class ActionStatesRead(Message):
    """Which quick actions this context offers, and which are disabled and why."""

    def __init__(self, states: dict[str, ActionState]) -> None:
        """Carry the states."""
        super().__init__()
        self.states = states


def open_quick_action(
    app: App[Any],
    settings: Settings,
    action_id: str,
    model: str | None,
    state: ActionState | None,
) -> None:
    """Open the plan (or the form) of the action's runbook for `model`, unless it may not run."""
    from console.services.runbook_session import BY_ID
    from console.tui.screens.run_form import start_runbook
    from runbooks.library import load

    action = BY_ID[action_id]
    if state is None or not state.offered:
        why = state.disabled if state is not None else "still reading what this context can do"
        app.notify(f"{action.title}: not offered here ({why})", title=action.id)
        return
    if state.disabled:
        app.notify(state.disabled, title=action.title, severity="warning")
        return
    if not model:
        app.notify("select a model first", title=action.title, severity="warning")
        return
    start_runbook(app, settings, load(action.runbook), {"model": model})


def open_note(app: App[Any], settings: Settings, model: str | None) -> None:
    """The `note` runbook's form for `model`: an annotate step, audited, changing nothing live."""
    from console.services.runbook_session import ActionState

    open_quick_action(app, settings, "note", model, ActionState(True))


class ActingScreen(DataScreen):
    """A data screen with a selected model and the quick actions its context offers."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["acting.tcss"]
    action_states: dict[str, ActionState] | None = None

    def on_mount(self) -> None:
        """After the first paint, find out off the UI thread which quick actions are allowed."""
        self.call_after_refresh(
            self.run_worker,
            self._read_action_states,
            thread=True,
            group="quick-actions",
            exit_on_error=False,
        )

    def _read_action_states(self) -> None:
        """Worker: ask the backends for their capabilities."""
        from console.services.runbook_session import action_states

        self.post_message(ActionStatesRead(action_states(self.settings.source)))

    def on_action_states_read(self, message: ActionStatesRead) -> None:
        """Show the offered actions in the footer; say once why disabled ones are disabled."""
        self.action_states = message.states
        self.refresh_bindings()
        disabled = [k for k, s in message.states.items() if s.offered and s.disabled]
        if disabled and not self.query("#actions-note"):
            text = f"read-only: {', '.join(disabled)} disabled (trying one says why)"
            note = Static(text, id="actions-note", markup=False)
            line = self.query(f"#{COMMAND_LINE_ID}")  # above the `:` line once it was opened
            self.mount(note, before=line.first() if line else self.query_one(StatusBar))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A quick action is bound only where the context offers it."""
        if action == "quick":
            states = self.action_states or {}
            state = states.get(str(parameters[0])) if parameters else None
            return state is not None and state.offered
        return super().check_action(action, parameters)

    def action_quick(self, action_id: str) -> None:
        """Open the action's runbook for the selected model (plan → confirm → run)."""
        from console.tui.app import current_model

        state = (self.action_states or {}).get(action_id)
        open_quick_action(self.app, self.settings, action_id, current_model(self), state)
