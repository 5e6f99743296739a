"""The workspace interface the server codes against, and the entries it reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class InputLayout:
    """The columns of the input matrix: numeric features, then one-hot blocks per categorical."""

    numeric: tuple[str, ...]
    categorical: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def width(self) -> int:
        """How many columns the input has."""
        return len(self.numeric) + sum(len(categories) for _, categories in self.categorical)

    def decode(self, values: list[float]) -> dict[str, Any]:
        """One input row back to feature values (a one-hot block with no 1 decodes to None)."""
        row: dict[str, Any] = dict(zip(self.numeric, values, strict=False))
        if not self.numeric:
            row = {f"f{j}": value for j, value in enumerate(values)}
        offset = len(self.numeric)
        for name, categories in self.categorical:
            block = values[offset : offset + len(categories)]
            hot = [c for c, v in zip(categories, block, strict=False) if v == 1.0]
            row[name] = hot[0] if len(hot) == 1 else None
            offset += len(categories)
        return row


@dataclass(frozen=True)
class VersionEntry:
    """A registered version: its runtime, artifact path and (when described) input layout."""

    version: str
    runtime: str
    artifact: str
    aliases: tuple[str, ...] = ()
    layout: InputLayout | None = None


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: task, numeric input features in column order, versions, traffic."""

    name: str
    versions: tuple[VersionEntry, ...]
    task: str = "binary-classification"
    features: tuple[str, ...] = ()
    weights: Mapping[str, int] = field(default_factory=dict)
    feature_bounds: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def version(self, version: str) -> VersionEntry | None:
        """One version by name."""
        return next((v for v in self.versions if v.version == version), None)

    def layout(self, version: VersionEntry) -> InputLayout:
        """The version's input layout, else the model's numeric features in order."""
        return version.layout or InputLayout(self.features)


class Workspace(Protocol):
    """Models to serve, and the stores the server writes to."""

    path: Path | None

    def models(self) -> list[ModelEntry]:
        """Every model with its versions and stored traffic."""
        ...

    def model(self, name: str) -> ModelEntry | None:
        """One model, read afresh (a version may have been registered since start)."""
        ...

    def store_traffic(self, model: str, weights: Mapping[str, int], actor: str) -> None:
        """Persist a traffic change so a restart keeps it."""
        ...

    def append_log(self, model: str, rows: pd.DataFrame) -> int:
        """Append sampled requests to the inference log."""
        ...

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach ground truth (request_id, label); returns how many matched."""
        ...

    def write_points(self, frame: pd.DataFrame) -> int:
        """Append per-minute metric rollups (name, labels, ts, value)."""
        ...
