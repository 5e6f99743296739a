"""The runbooks a context can run: the bundled ones, the user's, and the context's own.

User runbooks are the `*.yaml` files of `$XDG_CONFIG_HOME/vigil/runbooks/`;
a context with a workspace adds `<workspace>/runbooks/`. A bundled name is
never shadowed (the CLI finds the same runbook by the same name); a file that
does not load is listed with its error instead of being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.config import Context
    from runbooks.spec import Runbook

ORIGINS = ("bundled", "user", "context")


@dataclass(frozen=True)
class CatalogEntry:
    """One runbook file: its name, where it comes from, and the runbook or why it did not load."""

    name: str
    origin: str
    path: Path
    runbook: Runbook | None
    error: str = ""
    shadowed: bool = False


def user_runbook_dir() -> Path:
    """`$XDG_CONFIG_HOME/vigil/runbooks`."""
    from console.config import config_home

    return config_home() / "runbooks"


def folders(context: Context | None) -> list[tuple[str, Path]]:
    """(origin, folder) in lookup order."""
    from runbooks.library import FOLDER

    found = [("bundled", FOLDER), ("user", user_runbook_dir())]
    workspace = getattr(context, "workspace", None)
    if workspace is not None:
        found.append(("context", Path(workspace) / "runbooks"))
    return found


def catalog(context: Context | None) -> list[CatalogEntry]:
    """Every runbook of every folder, bundled first; a later name already taken is marked."""
    from runbooks.spec import RunbookError, load_runbook

    entries: list[CatalogEntry] = []
    taken: dict[str, str] = {}
    for origin, folder in folders(context):
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            name = path.stem
            if name in taken:
                why = f"the name is taken by the {taken[name]} runbook {name!r}; rename the file"
                entries.append(CatalogEntry(name, origin, path, None, why, shadowed=True))
                continue
            try:
                book: Runbook | None = load_runbook(path)
                error = ""
            except (RunbookError, OSError) as problem:
                book, error = None, str(problem)
            taken[name] = origin
            entries.append(CatalogEntry(name, origin, path, book, error))
    return entries


def find(context: Context | None, name: str) -> CatalogEntry | None:
    """The runbook a name stands for (bundled first), or None."""
    for entry in catalog(context):
        if entry.name == name and (
            entry.runbook is not None or not entry.error.startswith("the name")
        ):
            return entry
    return None
