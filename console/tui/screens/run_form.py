"""The parameters of a runbook as a form: defaults filled in, choices as a list, CLI validation.

Each value is checked by `Runner.bind`, the function `vigil runbook run -p`
goes through (types, choices, versions resolved against the live
registry), in a worker; the first problem shows under the form and nothing
runs. A valid form opens the plan. Keys typed into an input stay in it:
the form's only keys are Enter (next field, then plan) and Escape.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Select, Static

from console.tui.actions import bindings_for
from console.tui.settings import Settings
from console.tui.widgets.breadcrumbs import Breadcrumbs, runbook_crumbs

if TYPE_CHECKING:
    from runbooks.spec import Runbook
    from runbooks.spec.model import Parameter


def shown_default(param: Parameter) -> str:
    """A default as the text the CLI would take for it (`a,b`, `2=90,3=10`, `true`)."""
    value = param.default
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def missing(runbook: Runbook, given: Mapping[str, Any]) -> list[str]:
    """Required parameters not given."""
    return [p.name for p in runbook.parameters.values() if p.required and p.name not in given]


def start_runbook(
    app: App[Any], settings: Settings, runbook: Runbook, given: Mapping[str, Any]
) -> None:
    """The form when a required value is missing (or asked for), else straight to the plan."""
    from console.services.runbook_session import is_context
    from console.tui.screens.run import RunScreen

    if not is_context(settings.source):
        app.notify("runbooks need a configured context", title=runbook.name, severity="error")
        return
    if missing(runbook, given):
        app.push_screen(RunFormScreen(settings, runbook, given))
    else:
        app.push_screen(RunScreen(settings, runbook, given))


def run_command(
    app: App[Any], settings: Settings, words: tuple[str, ...], model: str | None
) -> None:
    """`:run NAME key=value ...`: the plan (or the form, if a value is missing) of that runbook."""
    import difflib

    from console.services.runbook_catalog import catalog

    name, pairs = words[0], words[1:]
    source: Any = settings.source
    entries = catalog(source if hasattr(source, "workspace") else None)
    entry = next((e for e in entries if e.name == name and not e.shadowed), None)
    if entry is None or entry.runbook is None:
        known = [e.name for e in entries if e.runbook is not None]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        why = entry.error if entry is not None else f"no runbook {name!r}{hint}"
        app.notify(f"{why}; known: {', '.join(known)}", title=":run", severity="error")
        return
    given: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            app.notify(f":run expects key=value, not {pair!r}", title=":run", severity="error")
            return
        given[key.strip()] = value
    default = model or getattr(source, "default_model", None)
    if "model" in entry.runbook.parameters and "model" not in given and default:
        given["model"] = str(default)
    start_runbook(app, settings, entry.runbook, given)


class FormChecked(Message):
    """The values were checked by the engine: empty error means they bind."""

    def __init__(self, values: dict[str, str], error: str) -> None:
        """Carry the values and the first problem."""
        super().__init__()
        self.values = values
        self.error = error


class RunFormScreen(Screen[None]):
    """One input (or list) per parameter; Enter moves on, the last Enter (or Plan) checks."""

    SCOPE = "form"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("form")]

    def __init__(self, settings: Settings, runbook: Runbook, given: Mapping[str, Any]) -> None:
        """A form for `runbook`, pre-filled with `given` and the defaults."""
        super().__init__()
        self.settings = settings
        self.runbook = runbook
        self.given = {k: str(v) for k, v in given.items()}

    def compose(self) -> ComposeResult:
        """A label and a field per parameter, the error line, the Plan button."""
        from runbooks.engine.gate import CONFIRMATION

        book = self.runbook
        yield Breadcrumbs(runbook_crumbs(self.settings.context_name, book.name, self.given, "form"))
        with VerticalScroll(id="form-body"):
            yield Static(
                f"{book.name}: {book.description}\nrisk {book.risk} "
                f"(confirmation: {CONFIRMATION[book.risk]})",
                id="form-head",
                markup=False,
            )
            for param in book.parameters.values():
                need = "required" if param.required else f"default {shown_default(param) or '-'}"
                label = f"{param.name} ({param.type}, {need}) {param.description}"
                yield Static(label, classes="form-label", markup=False)
                value = self.given.get(param.name, shown_default(param))
                if param.choices:
                    options = [(choice, choice) for choice in param.choices]
                    start = value if value in param.choices else param.choices[0]
                    yield Select(options, value=start, allow_blank=False, id=f"p-{param.name}")
                else:
                    yield Input(value=value, placeholder=param.type, id=f"p-{param.name}")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Plan", id="form-plan", variant="primary")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        """Focus the first empty field (else the first)."""
        fields = self._fields()
        empty = [f for f in fields if isinstance(f, Input) and not f.value]
        target = empty[0] if empty else (fields[0] if fields else None)
        if target is not None:
            target.focus()
        else:
            self.query_one("#form-plan", Button).focus()

    def _fields(self) -> list[Input | Select[str]]:
        """The fields in parameter order."""
        return [self.query_one(f"#p-{name}") for name in self.runbook.parameters]  # type: ignore[misc]

    def values(self) -> dict[str, str]:
        """What the form holds; an empty optional field means its default."""
        found: dict[str, str] = {}
        for name, param in self.runbook.parameters.items():
            field: Any = self.query_one(f"#p-{name}")
            value = str(field.selection or "" if isinstance(field, Select) else field.value)
            if value.strip() or param.required:
                found[name] = value.strip()
        return found

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: the next field, or check the form after the last one."""
        event.stop()
        fields = self._fields()
        index = fields.index(event.input) if event.input in fields else len(fields) - 1
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.check()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The Plan button checks the form."""
        event.stop()
        self.check()

    def check(self) -> None:
        """Check the values in a worker, as the CLI's `-p` values are checked."""
        self.query_one("#form-error", Static).update("checking…")
        values = self.values()
        self.run_worker(lambda: self._check(values), thread=True, group="form", exit_on_error=False)

    def _check(self, values: dict[str, str]) -> None:
        """Worker: bind the values through the engine (versions resolved against the registry)."""
        from backends.contracts import BackendError, NotFoundError
        from console.services.runbook_env import runbook_environment
        from runbooks.engine import Runner
        from runbooks.engine.environment import NoHuman, ParameterError

        context: Any = self.settings.source
        env = runbook_environment(context, confirmer=NoHuman(), out=lambda _: None)
        try:
            for name in missing(self.runbook, {k: v for k, v in values.items() if v}):
                raise ParameterError(
                    f"{name} is required ({self.runbook.parameters[name].description})"
                )
            Runner(env).bind(self.runbook, values)
        except (ParameterError, NotFoundError, BackendError) as error:
            self.post_message(FormChecked(values, str(error)))
            return
        self.post_message(FormChecked(values, ""))

    def on_form_checked(self, message: FormChecked) -> None:
        """A problem stays on the form; valid values open the plan in place of the form."""
        from console.tui.screens.run import RunScreen

        if message.error:
            self.query_one("#form-error", Static).update(f"✗ {message.error}")
            return
        self.app.switch_screen(RunScreen(self.settings, self.runbook, message.values))

    def action_cancel(self) -> None:
        """Leave the form; nothing ran."""
        self.app.pop_screen()
