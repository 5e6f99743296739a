"""The `:` command line: every view of the registry with arguments, plus `:help`, `:refresh`, `:q`.

    :drift fraud-detector 6h device_type=tablet
    :overview @staging
    :m credit-risk

Tab completes view names, aliases, models, contexts and windows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from textual.binding import BindingType

from console.tui.actions import bindings_for
from console.tui.views import VIEWS, WINDOWS, View, ViewArgs, ViewArgsError, parse_view_args
from console.tui.widgets.inputs import COMMAND_LINE_ID, ClosableInput

NameSource = Callable[[], tuple[Sequence[str], Sequence[str]]]
VERBS: dict[str, str] = {
    "q": "quit",
    "quit": "quit",
    "h": "help",
    "help": "help",
    "r": "refresh",
    "refresh": "refresh",
}


@dataclass(frozen=True)
class Command:
    """A parsed command line: a verb (`quit`, `help`, `refresh`, or a view's name) and its args."""

    verb: str
    args: ViewArgs = field(default_factory=ViewArgs)
    view: View | None = None
    words: tuple[str, ...] = ()


class CommandError(ValueError):
    """The command line could not be understood."""


def parse_command(text: str, known_models: Collection[str] = ()) -> Command:
    """Parse `drift fraud-detector 6h device_type=tablet` into the drift view and its ViewArgs."""
    words = text.strip().lstrip(":").split()
    if not words:
        raise CommandError("empty command")
    head = words[0]
    if head.startswith("@"):
        words = ["overview", *words]
        head = "overview"
    if head.lower() == "run":
        if len(words) < 2:
            raise CommandError("usage: :run RUNBOOK [key=value ...]")
        return Command("run", words=tuple(words[1:]))
    verb = VERBS.get(head.lower())
    if verb is not None:
        if len(words) > 1:
            raise CommandError(f":{verb} takes no argument")
        return Command(verb)
    view = VIEWS.lookup(head)
    if view is None:
        raise CommandError(f"unknown command {head!r} (known: {known_commands()})")
    try:
        args = parse_view_args(view, words[1:], {name: None for name in known_models})
    except ViewArgsError as error:
        raise CommandError(str(error)) from error
    if view.name == "model" and not args.model:
        raise CommandError(f"usage: {view.usage}")
    return Command(view.name, args, view)


def known_commands() -> str:
    """Every command name, for the error message of a typo (aliases left out)."""
    return ", ".join([*(view.name for view in VIEWS.all()), "run", "help", "refresh", "quit"])


def complete(text: str, models: Sequence[str], contexts: Sequence[str]) -> str:
    """The command line with its last word completed (the longest common prefix of the matches)."""
    words = text.split(" ")
    last = words[-1]
    if len(words) == 1:
        prefix = ":" if last.startswith(":") else ""
        names = [view.name for view in VIEWS.all()]
        candidates = [prefix + name for name in (*names, *set(VERBS.values()))]
        if last.lstrip(":").startswith("@"):
            candidates = [f"{prefix}@{name}" for name in contexts]
    elif last.startswith("@"):
        candidates = [f"@{name}" for name in contexts]
    else:
        candidates = [*models, *WINDOWS]
    matches = sorted({c for c in candidates if c.startswith(last)})
    if not matches:
        return text
    completed = _common_prefix(matches)
    if len(matches) == 1:
        completed += " "
    return " ".join([*words[:-1], completed])


def _common_prefix(words: Sequence[str]) -> str:
    """The longest prefix every word shares."""
    first, last = min(words), max(words)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


class CommandLine(ClosableInput):
    """A hidden input shown by `:`; Enter runs the command, Tab completes, Escape hides it."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("command")]

    def __init__(self, names: NameSource | None = None) -> None:
        """An empty command line; `names` gives the models and contexts to complete."""
        super().__init__(
            placeholder=":drift [MODEL] [WINDOW] [COL=VALUE] · :overview @CTX · Tab completes",
            id=COMMAND_LINE_ID,
        )
        self.names = names

    def action_complete(self) -> None:
        """Complete the last word from views, models, contexts and windows."""
        models, contexts = self.names() if self.names is not None else ((), ())
        self.value = complete(self.value, models, contexts)
        self.cursor_position = len(self.value)
