"""A Vigil workspace read and written through the embedded backend.

Input columns are the layout in the version's `meta.json` (numeric features, then
one-hot blocks per categorical feature), else the model's numeric features in
registry order. Histogram buckets are the reference sample's deciles, so
Prometheus buckets support PSI.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from local_serving.source.base import InputLayout, ModelEntry, VersionEntry

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("local_serving.source")
DECILES = tuple(i / 10 for i in range(1, 10))


def artifact_path(uri: str, workspace: Path) -> str:
    """A local path from a `file://` URI or a path (relative ones are under the workspace)."""
    parsed = urlparse(uri)
    path = Path(parsed.path if parsed.scheme == "file" else uri)
    return str(path if path.is_absolute() else workspace / path)


def layout_of(order: list[str]) -> InputLayout:
    """A layout from encoded column names: numeric names, then `feature=category` one-hots."""
    numeric: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    for column in order:
        name, one_hot, category = column.partition("=")
        if not one_hot:
            if blocks:
                raise ValueError(f"numeric column {column!r} after one-hot columns")
            numeric.append(name)
        elif blocks and blocks[-1][0] == name:
            blocks[-1][1].append(category)
        else:
            blocks.append((name, [category]))
    return InputLayout(tuple(numeric), tuple((name, tuple(cats)) for name, cats in blocks))


def read_layout(path: Path) -> InputLayout | None:
    """The input layout a version's meta.json gives in `feature_order`, if any."""
    try:
        meta = json.loads(path.read_text())
        return layout_of([str(column) for column in meta["feature_order"]])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring the input layout in %s: %s", path, error)
        return None


class EmbeddedWorkspace:
    """Models from the workspace registry; logs, labels, rollups and traffic written back."""

    def __init__(self, workspace: Path) -> None:
        """Open the workspace's embedded backend."""
        from backends.embedded import EmbeddedBackend

        self.backend = EmbeddedBackend(workspace=str(workspace))
        self.path: Path | None = self.backend.workspace

    def models(self) -> list[ModelEntry]:
        """Every registered model with its stored split and feature buckets."""
        return [self._entry(model) for model in self.backend.list_models()]

    def model(self, name: str) -> ModelEntry | None:
        """One model read afresh, or None when it is not registered."""
        from backends.contracts import NotFoundError

        try:
            return self._entry(self.backend.get_model(name))
        except NotFoundError:
            return None

    def _entry(self, model: Any) -> ModelEntry:
        """A registry Model as a ModelEntry."""
        assert self.path is not None
        features = tuple(spec.name for spec in model.features if spec.kind == "numeric")
        versions = []
        for v in model.versions:
            artifact = artifact_path(v.artifact_uri, self.path)
            layout = read_layout(Path(artifact).parent / "meta.json")
            versions.append(VersionEntry(v.version, v.runtime, artifact, tuple(v.aliases), layout))
        return ModelEntry(
            name=model.name,
            versions=tuple(versions),
            task=model.task,
            features=features,
            weights=self.backend.stored_traffic(model.name),
            feature_bounds=self._bounds(model.name, features),
        )

    def _bounds(self, model: str, features: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
        """Reference deciles per numeric feature; none when there is no reference sample."""
        from backends.contracts import BackendError

        try:
            reference = self.backend.reference(model)
        except (BackendError, OSError, ValueError) as error:
            log.info("model %s: no reference sample for feature buckets (%s)", model, error)
            return {}
        bounds = {}
        for name in features:
            if name in reference.columns:
                column = reference[name].dropna().astype("float64")
                if len(column):
                    edges = sorted(set(column.quantile(list(DECILES)).round(6).tolist()))
                    bounds[name] = tuple(edges)
        return bounds

    def store_traffic(self, model: str, weights: Mapping[str, int], actor: str) -> None:
        """Persist the split (and its timeline event) in the workspace."""
        self.backend.store_traffic(model, weights, actor)

    def append_log(self, model: str, rows: pd.DataFrame) -> int:
        """Append sampled requests to the workspace's Parquet inference log."""
        return int(self.backend.append(model, rows))

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach late labels by request id."""
        return int(self.backend.add_labels(model, labels))

    def write_points(self, frame: pd.DataFrame) -> int:
        """Append metric rollups to the workspace's metric store."""
        return int(self.backend.write_points(frame))
