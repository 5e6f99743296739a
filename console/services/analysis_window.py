"""The window an investigation screen covers, resolved exactly as the headless CLI resolves it.

A screen's `ViewArgs.window` is `24h`, `7d` or `START..END`; the CLI twin takes
`--window 24h` or `--start/--end`. Both go through
`console.analysis.inputs.resolve_window` against the model's last logged
request, so the screen and `vigil slices --json` cover the same instants.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime

from backends.contracts import Model
from console.analysis.context import Sources


@dataclass(frozen=True)
class AnalysisWindow:
    """A model and the [start, end) its numbers cover, with the text that asked for it."""

    model: Model
    start: datetime
    end: datetime
    asked: str
    last_logged: datetime | None

    @property
    def explicit(self) -> bool:
        """Whether the window was given as `START..END` rather than a duration."""
        return ".." in self.asked

    def label(self) -> str:
        """`last 24h to 11-19 23:59 UTC` or the explicit range, minute precision."""
        span = f"{self.start:%m-%d %H:%M}..{self.end:%m-%d %H:%M} UTC"
        return span if self.explicit else f"{self.asked} {span}"

    def source(self) -> str:
        """`fraud-detector [start, end)` as the CLI twin prints it in its `source` field."""
        return f"{self.model.name} [{self.start.isoformat()}, {self.end.isoformat()})"

    def cli_args(self) -> list[str]:
        """The CLI options that select the same model and window."""
        if self.explicit:
            first, _, second = self.asked.partition("..")
            return ["--model", self.model.name, "--start", first, "--end", second]
        return ["--model", self.model.name, "--window", self.asked]


def twin_command(command: str, window: AnalysisWindow, *extra: str) -> str:
    """The headless command that prints the same numbers: `vigil slices --model M ... --json`."""
    return shlex.join(["vigil", command, *window.cli_args(), *extra, "--json"])


def resolve_analysis_window(
    source: Sources, model_name: str | None, window: str | None, default: str
) -> AnalysisWindow:
    """The model (asked, the context default, or the only one) and its window; InputError if bad."""
    from console.analysis.inputs import resolve_window
    from console.analysis.workspace import last_logged, pick_model

    model = pick_model(source, model_name)
    last = last_logged(source, model.name)
    asked = (window or default).strip()
    if ".." in asked:
        first, _, second = asked.partition("..")
        start, end = resolve_window(first, second, None, last, default)
    else:
        start, end = resolve_window(None, None, asked, last, default)
    return AnalysisWindow(model=model, start=start, end=end, asked=asked, last_logged=last)


def check_window(text: str) -> None:
    """Reject a window that is neither a duration (`6h`) nor `START..END`; InputError says why."""
    from console.analysis.inputs import InputError, parse_duration, parse_instant

    if ".." in text:
        first, _, second = text.partition("..")
        if parse_instant(second) <= parse_instant(first):
            raise InputError(f"{text!r}: the end must be after the start")
        return
    if not text:
        raise InputError("type a window such as 6h, 3d or START..END")
    parse_duration(text)
