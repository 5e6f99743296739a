"""`CoalescedFooter`: Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class CoalescedFooter(Footer):
    """A footer whose key widgets are recomposed once per refresh, and only when they differ.

    Textual's footer schedules a full recompose per binding change; opening a
    screen sends several (mount, focus, resume), each remounting every key
    even when the bindings shown are the same as before. A screen whose
    `footer_waits()` is true gets its keys once its first data is painted
    (it calls `release`), so building them does not compete with that data.
    """

    _recompose_pending = False
    _composed: Hashable = None
    _held = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Schedule one recompose after the next refresh unless one is already due."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            waits = getattr(screen, "footer_waits", None)
            if self._composed is None and callable(waits) and waits():
                self._held = True
                return
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    def release(self) -> None:
        """Build the keys held back while the screen's first data was on its way."""
        if self._held:
            self._held = False
            self.call_later(self.bindings_changed, self.screen)  # composes in the footer's context

    def shown_keys(self) -> Hashable:
        """Everything `Footer.compose` reads: the bindings shown, their state and key display."""
        active = self.screen.active_bindings
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return (
            self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE,
            palette[1:] if palette is not None else None,
            tuple(
                (binding, enabled, tooltip, self.app.get_key_display(binding))
                for (_, binding, enabled, tooltip) in active.values()
                if binding.show
            ),
        )

    async def _recompose_if_changed(self) -> None:
        """Rebuild the keys if the bindings shown differ from the last build."""
        self._recompose_pending = False
        if not self.is_attached:
            return
        keys = self.shown_keys()
        if keys == self._composed:
            return
        self._composed = keys
        await self.recompose()
