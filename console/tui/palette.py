"""The command palette's provider: views, models, contexts and actions that apply right now.

Views are offered for the model on screen (or every known model from the
overview), other contexts only when some are configured, and actions only
when the visible screen binds them (the replay steps and leave only while
replaying), all read from the two registries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.tui.actions import ACTIONS, Action
from console.tui.views import VIEWS, ViewArgs, view_available

Entry = tuple[str, str, Callable[[], Any]]
APP_SCOPES = frozenset({"app", "replay"})
"""Scopes the app binds: their actions run on the app, whatever screen is visible."""


class VigilCommands(Provider):
    """Palette entries generated from the view and action registries."""

    def entries(self) -> Iterator[Entry]:
        """Every entry that applies to the screen the palette was opened on."""
        app: Any = self.app
        screen: Any = self.screen
        yield from self._actions(app, screen)
        from console.tui.app import current_model

        model = current_model(screen)
        models = [model] if model else list(app.known_models())
        for view in VIEWS.all():
            if view.name == "overview" or not view_available(view):
                continue
            targets = models if view.needs_model else [None]
            for target in targets:
                title = f"{view.title}: {target}" if target else view.title
                yield title, view.usage, partial(app.open_view, view.name, ViewArgs(model=target))
        yield "Overview", "all models", partial(app.open_view, "overview")
        for name in app.known_models():
            if name != model:
                yield f"Model: {name}", "open the model screen", partial(app.open_model, name)
        from console.services.contexts import context_names

        current = app.settings.context_name.split(" ")[0]
        for name in context_names():
            if name != current:
                args = ViewArgs(context=name)
                yield f"Context: {name}", "switch context", partial(app.open_view, "overview", args)

    def _actions(self, app: Any, screen: Any) -> Iterator[Entry]:
        """Registry actions bound here (the screen's scope, `screen` on data screens, the app's)."""
        scopes = {*APP_SCOPES, getattr(screen, "SCOPE", "app")}
        if hasattr(screen, "view_args"):
            scopes.add("screen")
        for action in ACTIONS:
            if not action.palette or action.scope not in scopes:
                continue
            target = app if action.scope in APP_SCOPES else screen
            if not _applies(target, action):
                continue
            yield _title(action, screen), action.id, partial(target.run_action, action.handler)

    async def discover(self) -> Hits:
        """Everything, before the user types."""
        for title, help_text, callback in self.entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Entries whose title matches the query, best first."""
        matcher = self.matcher(query)
        for title, help_text, callback in self.entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


def _applies(target: Any, action: Action) -> bool:
    """Whether the screen binds the action now (`check_action`): "resume" only on an open run."""
    from textual.actions import ActionError, parse

    try:
        _, name, params = parse(action.handler)
    except ActionError:
        return True
    return target.check_action(name, params) is not False


def _title(action: Action, screen: Any) -> str:
    """The action's description, saying `Resume` when the view is paused."""
    if action.id == "pause" and getattr(screen, "paused", False):
        return "Resume this view's refresh"
    return action.description
