"""The views registry: every screen the `:` command line, the palette and `[`/`]` history can open.

A view is named once here (name, aliases, title, usage) with a factory
`screen(settings, args)` that builds a `DataScreen`. The command line parses
`:drift fraud-detector 6h device_type=tablet @staging` into a view and a
`ViewArgs`. Views are declared here by name, without importing their screens
(`LazyScreen` imports a screen's module when it is first opened), so the
palette and Tab completion list every view at no start-up cost. A screen built
later (runbooks, audit) adds one `View(...)` to the list below, or calls
`register(View(...))`; a later registration of the same name replaces it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    from console.tui.settings import Settings

WINDOWS: tuple[str, ...] = ("1h", "6h", "24h", "7d")
WINDOW_PATTERN = re.compile(r"^(?:\d+[smhdw]|\S+\.\.\S+)$")
PREDICATE_PATTERN = re.compile(r"^([A-Za-z_][\w.-]*)=(.+)$")


@dataclass(frozen=True)
class ViewArgs:
    """What a view shows: model, window (`24h` or `START..END`), slice predicates, context."""

    model: str | None = None
    window: str | None = None
    predicates: tuple[tuple[str, str], ...] = ()
    context: str | None = None

    def slice_text(self) -> str:
        """`device_type=tablet amount=…`, or empty for the whole population."""
        return " ".join(f"{column}={value}" for column, value in self.predicates)

    def slice_mapping(self) -> dict[str, str]:
        """The predicates as a mapping (column → value)."""
        return dict(self.predicates)

    def with_model(self, model: str | None) -> ViewArgs:
        """The same arguments for another model."""
        return replace(self, model=model)


@dataclass(frozen=True)
class View:
    """A screen reachable by name: `:name` or an alias, with a usage line for help and errors."""

    name: str
    aliases: tuple[str, ...]
    title: str
    usage: str
    screen: Callable[[Settings, ViewArgs], Screen[Any]]
    needs_model: bool = True
    takes_window: bool = True
    takes_predicates: bool = False


@dataclass
class ViewRegistry:
    """Views by name and alias, in registration order."""

    views: dict[str, View] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def register(self, view: View) -> View:
        """Add (or replace) a view; its aliases must not shadow another view's names."""
        for word in (view.name, *view.aliases):
            owner = self.aliases.get(word)
            if owner is not None and owner != view.name:
                raise ValueError(f"view alias {word!r} of {view.name} is taken by {owner}")
        self.views[view.name] = view
        for word in (view.name, *view.aliases):
            self.aliases[word] = view.name
        return view

    def lookup(self, word: str) -> View | None:
        """The view a name or alias stands for."""
        name = self.aliases.get(word.lower())
        return None if name is None else self.views[name]

    def all(self) -> tuple[View, ...]:
        """Every view in registration order."""
        return tuple(self.views.values())


VIEWS = ViewRegistry()


def register(view: View) -> View:
    """Register a view in the one registry (the command line, the palette and help read it)."""
    return VIEWS.register(view)


class ViewArgsError(ValueError):
    """A view's arguments could not be understood: the message carries the usage line."""


def parse_view_args(view: View, words: list[str], known_models: Mapping[str, Any]) -> ViewArgs:
    """`[MODEL] [WINDOW] [COL=VALUE ...] [@CONTEXT]` in any order into `ViewArgs`.

    A word is a context when it starts with `@`, a predicate when it has `=`,
    a window when it looks like `6h` or `START..END`, else the model name.
    """
    model: str | None = None
    window: str | None = None
    context: str | None = None
    predicates: list[tuple[str, str]] = []
    for word in words:
        if word.startswith("@"):
            if len(word) == 1:
                raise ViewArgsError(f"'@' needs a context name; usage: {view.usage}")
            context = word[1:]
        elif "=" in word:
            match = PREDICATE_PATTERN.match(word)
            if match is None or not view.takes_predicates:
                raise ViewArgsError(f"{word!r} is not understood here; usage: {view.usage}")
            predicates.append((match.group(1), match.group(2)))
        elif WINDOW_PATTERN.match(word) and word not in known_models and view.takes_window:
            if window is not None:
                raise ViewArgsError(f"two windows ({window}, {word}); usage: {view.usage}")
            window = word
        elif model is None:
            model = word
        else:
            raise ViewArgsError(f"unexpected {word!r}; usage: {view.usage}")
    return ViewArgs(model=model, window=window, predicates=tuple(predicates), context=context)


@dataclass(frozen=True)
class LazyScreen:
    """A screen factory that imports its module only when the view is first opened."""

    module: str
    class_name: str

    def __call__(self, settings: Settings, args: ViewArgs) -> Screen[Any]:
        """Import the screen's module and build it as `Screen(settings, args)`."""
        screen_class = getattr(importlib.import_module(self.module), self.class_name)
        screen: Screen[Any] = screen_class(settings, args)
        return screen

    def available(self) -> bool:
        """False while the screen's module does not exist yet (checked without importing it)."""
        return importlib.util.find_spec(self.module) is not None


def view_available(view: View) -> bool:
    """Whether a view can be opened now (a lazily declared screen may not be built yet)."""
    return not isinstance(view.screen, LazyScreen) or view.screen.available()


SCREENS = "console.tui.screens"

for _view in (
    View(
        "overview",
        ("o", "ov", "models"),
        "Overview",
        ":overview [@CONTEXT]",
        LazyScreen(f"{SCREENS}.overview", "OverviewScreen"),
        needs_model=False,
        takes_window=False,
    ),
    View(
        "model",
        ("m", "mo"),
        "Model",
        ":model NAME [@CONTEXT]",
        LazyScreen(f"{SCREENS}.model", "ModelScreen"),
        takes_window=False,
    ),
    View(
        "drift",
        ("d", "dr"),
        "Drift",
        ":drift [MODEL] [WINDOW] [COL=VALUE ...] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.drift", "DriftScreen"),
        takes_predicates=True,
    ),
    View(
        "where",
        ("wd", "segments"),
        "Where does it drift",
        ":where [MODEL] [WINDOW] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.drift_where", "WhereScreen"),
    ),
    View(
        "slices",
        ("s", "sl"),
        "Slices",
        ":slices [MODEL] [WINDOW] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.slices", "SlicesScreen"),
    ),
    View(
        "latency",
        ("l", "lat"),
        "Latency",
        ":latency [MODEL] [WINDOW] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.latency", "LatencyScreen"),
    ),
    View(
        "timeline",
        ("t", "tl"),
        "Timeline",
        ":timeline [MODEL] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.timeline", "TimelineScreen"),
        takes_window=False,
    ),
    View(
        "correlation",
        ("c", "corr"),
        "Correlation",
        ":correlation [MODEL] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.correlation", "CorrelationScreen"),
        takes_window=False,
    ),
    View(
        "runbooks",
        ("rb", "runbook"),
        "Runbooks",
        ":runbooks [MODEL] [@CONTEXT] (and :run NAME key=value ...)",
        LazyScreen(f"{SCREENS}.runbooks", "RunbooksScreen"),
        needs_model=False,
        takes_window=False,
    ),
    View(
        "runs",
        ("rn",),
        "Runs",
        ":runs [MODEL] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.runs", "RunsScreen"),
        needs_model=False,
        takes_window=False,
    ),
    View(
        "audit",
        ("au",),
        "Audit",
        ":audit [MODEL] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.audit", "AuditScreen"),
        needs_model=False,
        takes_window=False,
    ),
    View(
        "postmortem",
        ("pm",),
        "Postmortem",
        ":postmortem [MODEL] [@CONTEXT]",
        LazyScreen(f"{SCREENS}.postmortem", "PostmortemScreen"),
        takes_window=False,
    ),
):
    register(_view)
