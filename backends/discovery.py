"""Find backends through the `vigil.backends` entry-point group, importing lazily.

Names are listed from package metadata without importing anything; a backend's
module is imported only when a context uses it, and a backend that fails to
import is reported as a clear error rather than a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

GROUP = "vigil.backends"


class BackendUnavailable(Exception):
    """A backend is not installed or failed to import."""


def available() -> dict[str, EntryPoint]:
    """Installed backends by name, without importing any of them."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[Any]:
    """Import one backend class by name."""
    found = available()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise BackendUnavailable(f"no backend named {name!r} (installed: {known})")
    try:
        loaded: type[Any] = found[name].load()
    except Exception as error:
        raise BackendUnavailable(f"backend {name!r} failed to import: {error}") from error
    return loaded


def create(name: str, options: Mapping[str, Any]) -> Any:
    """Construct a backend from its name and the options a context gives it."""
    backend_class = load(name)
    try:
        return backend_class(**dict(options))
    except TypeError as error:
        raise BackendUnavailable(f"backend {name!r}: bad options: {error}") from error
