"""Build progress on stderr: one rewritten line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Numbered steps with elapsed time; quiet when asked."""

    def __init__(self, total: int, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        """Count `total` steps, writing to `stream` (stderr by default)."""
        self.total = total
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.done = 0
        self.started = time.perf_counter()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, message: str) -> None:
        """Announce the next step."""
        self.done += 1
        if self.quiet:
            return
        line = f"[{self.done:>2}/{self.total}] {self.elapsed():5.1f}s  {message}"
        if self._tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        """End the progress display with a final line."""
        if self.quiet:
            return
        prefix = "\r\033[K" if self._tty else ""
        self.stream.write(f"{prefix}{message} ({self.elapsed():.1f}s)\n")
        self.stream.flush()

    def elapsed(self) -> float:
        """Seconds since the build started."""
        return time.perf_counter() - self.started
