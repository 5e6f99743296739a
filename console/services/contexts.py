"""The configured contexts by name, for `@CONTEXT` on the command line and the palette."""

from __future__ import annotations

import difflib
from typing import Any


class ContextError(Exception):
    """A context name that is not configured, or a config file that cannot be read."""


def context_names() -> list[str]:
    """The names in config.yaml; an unreadable config lists none (its error shows on use)."""
    from console.config import ConfigError, config_home, load_config

    try:
        return list(load_config(config_home() / "config.yaml")["contexts"])
    except (ConfigError, OSError):
        return []


def open_named_context(name: str) -> Any:
    """The configured context `name`, its backends created lazily on first read."""
    from console.config import ConfigError, check_context, config_home, load_config

    try:
        contexts = load_config(config_home() / "config.yaml")["contexts"]
    except (ConfigError, OSError) as error:
        raise ContextError(f"cannot read the contexts: {error}") from error
    if name not in contexts:
        close = difflib.get_close_matches(name, list(contexts), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(contexts) or "none configured"
        raise ContextError(f"no context named {name!r}{hint} (known: {known})")
    try:
        return check_context(contexts[name])
    except ConfigError as error:
        raise ContextError(str(error)) from error
