"""The feature store of a workspace: reference samples per version, freshness from the log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backends.contracts import Model, NotFoundError
from backends.embedded.db import from_us
from backends.embedded.files import component, read_parquet, write_parquet_atomic
from backends.embedded.inference_log import REQUIRED
from backends.embedded.partitions import log_parts

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

NOT_FEATURES = frozenset({*REQUIRED, "score", "prediction", "label"})


class FeaturesMixin:
    """FeatureStore: reference samples in W/reference/<model>/<version>.parquet."""

    _root: Path

    if TYPE_CHECKING:

        def get_model(self, name: str) -> Model:
            """Provided by the registry mixin."""

        def _schema(self, path: Path) -> pa.Schema:
            """Provided by the inference-log mixin."""

    def write_reference(self, model: str, version: str, frame: pd.DataFrame) -> int:
        """Store the reference (training) sample of a version; returns its row count."""
        import pyarrow as pa

        path = self._reference_path(model, version)
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise ValueError(f"reference of {model} {version} cannot be stored: {error}") from error
        write_parquet_atomic(table, path)
        return table.num_rows

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """The reference sample of `version`, or of the champion (else the newest with one)."""
        if version is None:
            version = self._default_reference_version(model)
        path = self._reference_path(model, version)
        if not path.exists():
            raise NotFoundError(f"no reference sample for {model} version {version}")
        return read_parquet(path).to_pandas()

    def freshness(self, model: str) -> Mapping[str, datetime]:
        """When each feature was last seen in the inference log (latest file holding it)."""
        directory = self._root / "inference" / component(model, "model")
        features = {spec.name for spec in self.get_model(model).features}
        latest: dict[str, int] = {}
        for path, _, last in log_parts(directory):
            for name in self._schema(path).names:
                if name in NOT_FEATURES or name.endswith("_ms"):
                    continue
                if features and name not in features:
                    continue
                latest[name] = max(latest.get(name, last), last)
        return {name: from_us(value) for name, value in sorted(latest.items())}

    def _reference_path(self, model: str, version: str) -> Path:
        """W/reference/<model>/<version>.parquet."""
        safe_model = component(model, "model")
        return self._root / "reference" / safe_model / f"{component(version, 'version')}.parquet"

    def _default_reference_version(self, model: str) -> str:
        """The champion's version, else the newest version that has a reference file."""
        found = self.get_model(model)
        champion = found.alias("champion")
        if champion is not None and self._reference_path(model, champion.version).exists():
            return champion.version
        for candidate in reversed(found.versions):
            if self._reference_path(model, candidate.version).exists():
                return candidate.version
        raise NotFoundError(f"no reference sample for any version of {model}")
