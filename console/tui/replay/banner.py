"""The replay banner under the breadcrumbs: the instant shown, read-only, and the step keys."""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import Static

from console.tui.actions import BY_ID, effective_keys
from console.tui.replay.state import banner_text
from console.tui.settings import Settings

STEP_KEYS = (
    ("replay.back", "replay.forward", "±5m"),
    ("replay.back_hour", "replay.forward_hour", "±1h"),
)
KEY_SIGNS = {
    "comma": ",",
    "full_stop": ".",
    "less_than_sign": "<",
    "greater_than_sign": ">",
}


def key_sign(key: str) -> str:
    """A key as typed: `comma` is `,`."""
    return KEY_SIGNS.get(key, key)


def step_keys(keymap: Mapping[str, tuple[str, ...]]) -> str:
    """`, . ±5m · < > ±1h · N live`, with the user's keymap applied."""
    parts = []
    for back, forward, label in STEP_KEYS:
        earlier = key_sign(effective_keys(BY_ID[back], keymap)[0])
        later = key_sign(effective_keys(BY_ID[forward], keymap)[0])
        parts.append(f"{earlier} {later} {label}")
    parts.append(f"{key_sign(effective_keys(BY_ID['replay.leave'], keymap)[0])} live")
    return " · ".join(parts)


class ReplayBanner(Static):
    """One line that says, in words, which past instant every window ends at."""

    def __init__(self, settings: Settings) -> None:
        """The banner for the settings' replayed instant."""
        super().__init__(
            banner_text(settings, step_keys(settings.keymap)), id="replay-banner", markup=False
        )
