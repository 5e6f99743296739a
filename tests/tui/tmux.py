"""Drive a real terminal program in a private tmux server and read its screen."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass
class TmuxSession:
    """One detached session on its own tmux socket, so nothing else is touched."""

    socket: str
    name: str = "vigil"

    def tmux(self, *args: str) -> str:
        """Run a tmux command on this session's server."""
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return out.stdout

    def start(self, argv: Sequence[str], env: Mapping[str, str], size: tuple[int, int]) -> None:
        """Start `argv` in a shell that prints its exit code afterwards and stays open."""
        command = f"{shlex.join(argv)}; echo VIGIL_EXIT=$?; sleep 60"
        env_args = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
        width, height = size
        self.tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
            *env_args, command,
        )  # fmt: skip

    def screen(self) -> str:
        """The visible pane as text."""
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        """Send keys (tmux names: Enter, Escape, q)."""
        self.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, check: Callable[[str], bool], timeout_s: float, what: str) -> str:
        """Poll the pane until `check` holds; fail with the last screen after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")

    def close(self) -> None:
        """Stop this private tmux server."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def clean_env(home: str) -> dict[str, str]:
    """A terminal environment with private XDG dirs, so no user config is read."""
    return {
        "TERM": "xterm-256color",
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
        "XDG_DATA_HOME": os.path.join(home, "data"),
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
    }
