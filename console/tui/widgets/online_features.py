"""The panel under the requests table: the selected request's entity and its online features.

Hidden until asked for; it says when it is reading, what the feature store
answered, or (a store that is down, a row without the key) why not. Only this
panel degrades: the table above keeps working.
"""

from __future__ import annotations

from textual.widgets import Static

from console.services.online_features import OnlineFeatures


def entity_text(entity: dict[str, object]) -> str:
    """`account_id=3` (several keys joined by commas)."""
    return ", ".join(f"{key}={value}" for key, value in entity.items()) or "this request"


def value_text(value: object) -> str:
    """A feature value: floats to 4 significant digits, one the store lacks as `absent`."""
    if value is None:
        return "absent"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def features_text(answer: OnlineFeatures) -> str:
    """The panel's text for one answer: the values, or the reason there are none."""
    head = f"online features of {entity_text(answer.entity)} ({answer.model})"
    if answer.error:
        return f"{head}\n✗ {answer.error}"
    if not answer.values:
        return f"{head}\nthe feature store holds no feature for this model"
    cells = [f"{name} {value_text(value)}" for name, value in answer.values.items()]
    return f"{head}\n" + " · ".join(cells)


class OnlineFeaturesPanel(Static):
    """The selected request's online features (shown with the `open` class)."""

    def reading(self, entity: str) -> None:
        """Open the panel and say a read started."""
        self.add_class("open")
        self.update(f"reading the online features of {entity}…")

    def show_answer(self, answer: OnlineFeatures) -> None:
        """Open the panel with the store's answer or its reason."""
        self.add_class("open")
        self.update(features_text(answer))

    def close(self) -> None:
        """Hide the panel."""
        self.remove_class("open")
