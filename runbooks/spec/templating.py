"""`${name}` references in runbook fields: find them, and substitute typed values."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class TemplateError(ValueError):
    """A reference names nothing known, or a value has the wrong type."""


def references(value: Any) -> Iterator[str]:
    """Every name referenced as `${name}` in a value, its keys included."""
    if isinstance(value, str):
        yield from PATTERN.findall(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from references(key)
            yield from references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from references(item)


def malformed(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Each `${` that does not open a `${name}` reference, as (key path, the text from it)."""
    if isinstance(value, str):
        start = value.find("${")
        while start != -1:
            if PATTERN.match(value, start) is None:
                yield path, value[start : start + 24]
            start = value.find("${", start + 2)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from malformed(key, (*path, str(key)))
            yield from malformed(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from malformed(item, (*path, str(index)))


def substitute(value: Any, values: Mapping[str, Any]) -> Any:
    """Replace references; a string that is exactly one reference takes the typed value."""
    if isinstance(value, str):
        whole = PATTERN.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), values)
        return PATTERN.sub(lambda m: str(_lookup(m.group(1), values)), value)
    if isinstance(value, Mapping):
        return {str(substitute(k, values)): substitute(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, values) for item in value]
    return value


def _lookup(name: str, values: Mapping[str, Any]) -> Any:
    """The value of one reference, or a TemplateError naming it."""
    if name not in values:
        raise TemplateError(f"${{{name}}} has no value")
    return values[name]


def parse_duration(value: Any) -> float:
    """Seconds from `30s`, `5m`, `1h`, `7d`, `250ms` or a bare number of seconds."""
    if isinstance(value, bool):
        raise TemplateError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise TemplateError(f"a duration is a finite number of seconds ≥ 0, not {value!r}")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise TemplateError(f"not a duration: {value!r} (use 30s, 5m, 1h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]
