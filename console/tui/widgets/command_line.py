"""The `:` command line: `:model NAME`, `:overview`, `:help`, `:refresh`, `:q`."""

from __future__ import annotations

from dataclasses import dataclass

from console.tui.widgets.inputs import ClosableInput

COMMANDS: dict[str, str] = {
    "q": "quit",
    "quit": "quit",
    "o": "overview",
    "overview": "overview",
    "models": "overview",
    "m": "model",
    "model": "model",
    "h": "help",
    "help": "help",
    "r": "refresh",
    "refresh": "refresh",
}


@dataclass(frozen=True)
class Command:
    """A parsed command line: the verb and its argument."""

    verb: str
    argument: str = ""


class CommandError(ValueError):
    """The command line could not be understood."""


def parse_command(text: str) -> Command:
    """Parse `model fraud-detector` into Command('model', 'fraud-detector')."""
    words = text.strip().lstrip(":").split(maxsplit=1)
    if not words:
        raise CommandError("empty command")
    verb = COMMANDS.get(words[0].lower())
    argument = words[1].strip() if len(words) > 1 else ""
    if verb is None:
        known = ", ".join(sorted(set(COMMANDS.values())))
        raise CommandError(f"unknown command {words[0]!r} (known: {known})")
    if verb == "model" and not argument:
        raise CommandError("usage: :model NAME")
    return Command(verb, argument)


class CommandLine(ClosableInput):
    """A hidden input shown by `:`; Enter runs the command, Escape hides it."""

    def __init__(self) -> None:
        """An empty command line with a prompt-like placeholder."""
        super().__init__(placeholder=":model NAME · :overview · :help · :q", id="command-line")
