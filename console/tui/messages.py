"""Messages the workers post: backend results reach widgets only through these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from console.services.drift import Distribution, DriftRequest, DriftResult, SegmentResult
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


class DriftLoaded(Message):
    """A drift table was computed for the screen's request."""

    def __init__(self, result: DriftResult) -> None:
        """Carry the result to the drift screen."""
        super().__init__()
        self.result = result


class DriftHistoryLoaded(Message):
    """Each feature's PSI per day, for the sparklines."""

    def __init__(self, request: DriftRequest, history: dict[str, list[float | None]]) -> None:
        """Carry the history and the request it answers."""
        super().__init__()
        self.request = request
        self.history = history


class DistributionLoaded(Message):
    """One feature's shares per bin on both sides."""

    def __init__(self, distribution: Distribution) -> None:
        """Carry the distribution to its screen."""
        super().__init__()
        self.distribution = distribution


class SegmentsLoaded(Message):
    """The segment × feature ranking was computed."""

    def __init__(self, result: SegmentResult) -> None:
        """Carry the ranking to the "where does it drift" screen."""
        super().__init__()
        self.result = result
