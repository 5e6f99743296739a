"""Find backends through the `vigil.backends` entry-point group, importing lazily.

Names are listed from package metadata without importing anything; a backend's
module is imported only when a context uses it, and a backend that fails to
import is reported as a clear error rather than a traceback.

Each backend declares its options once, as `OPTIONS: tuple[Option, ...]` on
its class; `check_options` derives the validation of a context's options from
that declaration, so a typo names the option, the backend and the close match.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "vigil.backends"

OptionKind = Literal["string", "number", "integer", "boolean", "url", "directory", "file", "any"]


class _Required:
    """The default of an option that a context must give."""

    def __repr__(self) -> str:
        """`REQUIRED`, as it reads in a declaration."""
        return "REQUIRED"


REQUIRED: Final = _Required()

_KIND_WORDS: dict[str, str] = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "url": "an http:// or https:// URL",
    "directory": "the path of an existing directory",
    "file": "the path of an existing file",
    "any": "any value",
}


class BackendUnavailable(Exception):
    """A backend is not installed or failed to import."""


class OptionError(BackendUnavailable):
    """A context's options do not fit the backend's declaration; `option` names the culprit."""

    def __init__(self, message: str, option: str | None = None) -> None:
        """Keep the message and the option key it is about (`type` for an unknown backend)."""
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Option:
    """One option a backend takes: its name, kind, a one-line doc and its default."""

    name: str
    kind: OptionKind
    doc: str
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        """True when a context must give this option."""
        return self.default is REQUIRED


def available() -> dict[str, EntryPoint]:
    """Installed backends by name, without importing any of them."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[Any]:
    """Import one backend class by name."""
    found = available()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        close = difflib.get_close_matches(name, list(found), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise OptionError(f"no backend named {name!r} ({hint}installed: {known})", "type")
    try:
        loaded: type[Any] = found[name].load()
    except Exception as error:
        raise BackendUnavailable(f"backend {name!r} failed to import: {error}") from error
    return loaded


def declared_options(name: str) -> tuple[Option, ...] | None:
    """The options backend `name` declares, else its constructor's; None if it takes **kwargs."""
    backend_class = load(name)
    options: tuple[Option, ...] | None = getattr(backend_class, "OPTIONS", None)
    if options is not None:
        return options
    try:
        parameters = list(inspect.signature(backend_class).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        Option(
            parameter.name,
            "any",
            "(not declared)",
            REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default,
        )
        for parameter in parameters
        if parameter.kind in named
    )


def check_options(name: str, options: Mapping[str, Any], *, paths_exist: bool = False) -> None:
    """Raise OptionError unless `options` fit backend `name`'s declaration; paths exist if asked."""
    declared = declared_options(name)
    if declared is None:
        return
    by_name = {option.name: option for option in declared}
    for key, value in options.items():
        option = by_name.get(str(key))
        if option is None:
            close = difflib.get_close_matches(str(key), list(by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(by_name) or "none"
            message = f"backend {name!r} has no option {str(key)!r}{hint}; its options: {known}"
            raise OptionError(message, str(key))
        problem = option_problem(option, value, paths_exist=paths_exist)
        if problem:
            raise OptionError(f"{name} option {option.name!r} {problem}", option.name)
    for option in declared:
        if option.required and option.name not in options:
            raise OptionError(f"backend {name!r} needs option {option.name!r}: {option.doc}")


def option_problem(option: Option, value: Any, *, paths_exist: bool) -> str:
    """Why `value` does not fit `option`, or an empty string."""
    kind = option.kind
    if kind == "any":
        return ""
    fits = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }.get(kind, isinstance(value, str) and bool(value))
    if not fits:
        return f"must be {_KIND_WORDS[kind]}, not {value!r}"
    if kind == "url" and not str(value).startswith(("http://", "https://")):
        return f"must be {_KIND_WORDS[kind]}, not {value!r}"
    if kind in ("directory", "file") and paths_exist:
        try:
            path = Path(str(value)).expanduser()
            exists = path.is_dir() if kind == "directory" else path.is_file()
        except (RuntimeError, ValueError, OSError) as error:
            return f"is not a usable path: {error}"
        if not exists:
            return f"must be {_KIND_WORDS[kind]}: {value} does not exist"
    return ""


def create(name: str, options: Mapping[str, Any]) -> Any:
    """Construct a backend from its name and the options a context gives it."""
    check_options(name, options)
    backend_class = load(name)
    try:
        return backend_class(**dict(options))
    except (TypeError, ValueError) as error:
        raise BackendUnavailable(f"backend {name!r}: bad options: {error}") from error
