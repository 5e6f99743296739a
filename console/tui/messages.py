"""Messages the workers post: backend results reach widgets only through these."""

from __future__ import annotations

from textual.message import Message

from console.services.model_detail import ModelDetail
from console.services.overview import Overview


class OverviewLoaded(Message):
    """A fresh overview was read (some fields may carry errors)."""

    def __init__(self, overview: Overview) -> None:
        """Carry the overview to the screen."""
        super().__init__()
        self.overview = overview


class ModelDetailLoaded(Message):
    """A fresh model detail was read (some fields may carry errors)."""

    def __init__(self, detail: ModelDetail) -> None:
        """Carry the detail to the screen."""
        super().__init__()
        self.detail = detail


class Progress(Message):
    """How far a long computation has come; a newer one replaces an unhandled older one."""

    def __init__(self, text: str) -> None:
        """Carry the progress text (e.g. `binning 3 of 9 features`)."""
        super().__init__()
        self.text = text

    def can_replace(self, message: Message) -> bool:
        """Coalesce floods of progress messages."""
        return isinstance(message, Progress)
