"""User key overrides from `$XDG_CONFIG_HOME/vigil/keymap.yaml`, by action id, validated.

    quit: ctrl+q
    row.down: [j, ctrl+n]

An unknown id, a non-string key or a malformed file is a `KeymapError` that
names the file and the key and suggests the close match.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path

from console.tui.actions import BY_ID

KEY_PATTERN = re.compile(
    r"^(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*(?:[a-z][a-z0-9_]*|f[0-9]{1,2}|\S)$"
)


class KeymapError(Exception):
    """The keymap file is malformed: the message names the file and the key."""


def keymap_path() -> Path:
    """Where the user's keymap lives."""
    from console.config import config_home

    return config_home() / "keymap.yaml"


def load_keymap(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Read and validate the keymap; a missing file means no overrides."""
    from backends.safe_yaml import YamlRefused, load_with_lines, read_text

    path = path or keymap_path()
    if not path.exists():
        return {}
    try:
        document, _lines = load_with_lines(read_text(path))
    except YamlRefused as error:
        where = f"{path}:{error.line}" if error.line is not None else str(path)
        raise KeymapError(f"{where}: cannot read the keymap: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise KeymapError(f"{path}: must be a mapping of action id to key(s)")
    return {
        str(action_id): _keys(path, str(action_id), keys) for action_id, keys in document.items()
    }


def _keys(path: Path, action_id: str, value: object) -> tuple[str, ...]:
    """Validate one entry: a known action id and one key or a list of keys."""
    if action_id not in BY_ID:
        close = difflib.get_close_matches(action_id, list(BY_ID), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeymapError(f"{path}: {action_id}: unknown action id{hint}")
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise KeymapError(f"{path}: {action_id}: give a key or a list of keys")
    keys: list[str] = []
    for item in items:
        if not isinstance(item, str) or not KEY_PATTERN.match(item.strip()) or "," in item:
            raise KeymapError(
                f"{path}: {action_id}: {item!r} is not a key (e.g. 'j', 'ctrl+n', 'f5')"
            )
        keys.append(item.strip())
    return tuple(keys)
