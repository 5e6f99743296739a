"""An in-memory workspace: models given up front, records kept in lists."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from local_serving.source.base import ModelEntry

if TYPE_CHECKING:
    import pandas as pd


class MemoryWorkspace:
    """Serves the given models; keeps logged rows, labels, points and traffic changes."""

    def __init__(self, entries: list[ModelEntry], path: Path | None = None) -> None:
        """Hold the entries; `path` (optional) is where serving.json and a token go."""
        self.path = path
        self._entries = {entry.name: entry for entry in entries}
        self._lock = threading.Lock()
        self.logged: dict[str, list[pd.DataFrame]] = {}
        self.labels: dict[str, list[pd.DataFrame]] = {}
        self.points: list[pd.DataFrame] = []
        self.traffic_changes: list[tuple[str, dict[str, int], str]] = []

    def models(self) -> list[ModelEntry]:
        """Every model."""
        return list(self._entries.values())

    def model(self, name: str) -> ModelEntry | None:
        """One model."""
        return self._entries.get(name)

    def add(self, entry: ModelEntry) -> None:
        """Register a model or replace it (a new version)."""
        self._entries[entry.name] = entry

    def store_traffic(self, model: str, weights: Mapping[str, int], actor: str) -> None:
        """Record the change and keep it as the stored split."""
        with self._lock:
            self.traffic_changes.append((model, dict(weights), actor))
            if model in self._entries:
                self._entries[model] = replace(self._entries[model], weights=dict(weights))

    def append_log(self, model: str, rows: pd.DataFrame) -> int:
        """Keep the rows."""
        with self._lock:
            self.logged.setdefault(model, []).append(rows)
        return len(rows)

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Keep the labels; count those whose request id was logged."""
        import pandas as pd

        with self._lock:
            self.labels.setdefault(model, []).append(labels)
            frames = self.logged.get(model, [])
            known = set(pd.concat(frames)["request_id"]) if frames else set()
        return int(labels["request_id"].isin(known).sum())

    def write_points(self, frame: pd.DataFrame) -> int:
        """Keep the points."""
        with self._lock:
            self.points.append(frame)
        return len(frame)
