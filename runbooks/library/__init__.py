"""The bundled runbooks (YAML files in this folder), found by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbooks.spec import Runbook

FOLDER = Path(__file__).resolve().parent


def names() -> list[str]:
    """The name of every bundled runbook, sorted."""
    return sorted(path.stem for path in FOLDER.glob("*.yaml"))


def path_of(name: str) -> Path | None:
    """The file of a bundled runbook, or None when there is none by that name."""
    path = FOLDER / f"{name}.yaml"
    return path if name in names() else None


def load(name: str) -> Runbook:
    """A bundled runbook, validated; KeyError names the known ones when there is none."""
    from runbooks.spec import load_runbook

    path = path_of(name)
    if path is None:
        raise KeyError(f"no bundled runbook {name!r} (known: {', '.join(names())})")
    return load_runbook(path)
