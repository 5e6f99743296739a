"""What the engine acts on: the target context, its backends, and how it asks a human."""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

DriftFn = Callable[[str, "str | None", float], "float | None"]
QualityFn = Callable[[str, str, float], "float | None"]


class RunbookRefused(Exception):
    """The policy gate said no: nothing was changed, and the message says why."""


class RunAborted(Exception):
    """Someone stopped the run (the console's abort key): its on_failure steps run next."""


class ParameterError(Exception):
    """A parameter is missing, unknown, of the wrong type or names no version."""


class Confirmer(Protocol):
    """Asks a human to confirm: a terminal prompt in the CLI, a modal in the TUI."""

    def interactive(self) -> bool:
        """Whether a human can answer at all (a terminal, a screen)."""
        ...

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """y/N with default No, or (when `require` is given) typing that exact text."""
        ...


class NoHuman:
    """The confirmer of a run without a terminal: it never confirms."""

    def interactive(self) -> bool:
        """Nobody is there to answer."""
        return False

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """Always no."""
        return False


@dataclass
class Environment:
    """The target (context name, read-only flag), its backends by role, and the human.

    `read_only_reason`: why the target is read-only, for the gate's refusal
    (a replayed instant says so; empty: the context's own flag).
    `min_samples`: a ratio over fewer requests than this is inconclusive (the
    analysis' minimum-sample rule, passed in by the console; 0: no minimum).
    `checkpoint` is asked between steps and raises RunAborted (or
    KeyboardInterrupt) when the run was stopped from outside (RunControl).
    """

    context: str
    read_only: bool
    backend: Callable[[str], Any]
    state_dir: Path
    confirmer: Confirmer = field(default_factory=NoHuman)
    read_only_reason: str = ""
    assume_yes: bool = False
    drift: DriftFn | None = None
    quality: QualityFn | None = None
    min_samples: int = 0
    out: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    checkpoint: Callable[[], None] = lambda: None
    user: str = field(default_factory=lambda: _user())
    host: str = field(default_factory=socket.gethostname)

    def get(self, role: str) -> Any:
        """The backend that plays `role` (registry, serving, metrics, incidents, retrain)."""
        return self.backend(role)


def _user() -> str:
    """The operating-system user, or `unknown` when it cannot be told."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
