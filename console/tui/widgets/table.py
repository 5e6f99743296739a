"""A DataTable whose keys come from the action registry (vim keys included, all remappable)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console.tui.actions import bindings_for

REGISTRY_ACTIONS = {binding.action for binding in bindings_for("table")}


class VigilTable(DataTable[Any], inherit_bindings=False):
    """DataTable (virtualised) with row keys from the registry instead of its hard-coded ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("table"),
        *[
            binding
            for binding in DataTable.BINDINGS
            if isinstance(binding, Binding) and binding.action not in REGISTRY_ACTIONS
        ],
    ]
