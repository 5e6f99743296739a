"""The inference log (with writes and bin counts) and the feature store in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from backends.contracts import NotFoundError
from backends.memory.base import MemoryState

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

REQUIRED = ("ts", "request_id", "version")


class MemoryLog(MemoryState):
    """Logged requests per model (sorted by time), reference samples and feature freshness."""

    def __init__(self) -> None:
        """Nothing logged, no reference samples."""
        super().__init__()
        self._logs: dict[str, pd.DataFrame] = {}
        self._references: dict[tuple[str, str | None], pd.DataFrame] = {}
        self._freshness: dict[str, dict[str, datetime]] = {}

    def append(self, model: str, rows: pd.DataFrame) -> int:
        """Append logged requests of a registered model; returns how many were written."""
        import numpy as np
        import pandas as pd

        self._check("inference_log")
        self._entry(model)
        missing = [c for c in REQUIRED if c not in rows.columns]
        if missing:
            raise ValueError(f"inference rows need columns {', '.join(missing)}")
        if rows.empty:
            return 0
        frame = rows.copy()
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.floor("us")
        frame["request_id"] = frame["request_id"].astype(str)
        frame["version"] = frame["version"].astype(str)
        frame["label"] = frame["label"].astype("float64") if "label" in frame else np.nan
        with self._lock:
            held = self._logs.get(model)
            merged = frame if held is None else pd.concat([held, frame], ignore_index=True)
            self._logs[model] = merged.sort_values("ts", kind="stable").reset_index(drop=True)
        return len(frame)

    def add_labels(self, model: str, labels: pd.DataFrame) -> int:
        """Attach late labels (columns request_id, label); returns how many matched."""
        self._check("inference_log")
        with self._lock:
            frame = self._log(model)
            by_id = dict(zip(labels["request_id"].astype(str), labels["label"], strict=True))
            hit = frame["request_id"].isin(list(by_id))
            frame.loc[hit, "label"] = frame.loc[hit, "request_id"].map(by_id).astype("float64")
            return int(hit.sum())

    def window(
        self,
        model: str,
        start: datetime,
        end: datetime,
        columns: Sequence[str] | None = None,
        version: str | None = None,
    ) -> pd.DataFrame:
        """Rows logged in [start, end), only the columns asked for (NaN when never logged)."""
        self._check("inference_log")
        with self._lock:
            frame = self._log(model)
            keep = (frame["ts"] >= start) & (frame["ts"] < end)
            if version is not None:
                keep &= frame["version"] == version
            chosen = frame[keep].reset_index(drop=True)
        wanted = list(columns) if columns is not None else list(chosen.columns)
        for column in wanted:
            if column not in chosen.columns:
                chosen[column] = float("nan")
        return chosen[wanted].copy()

    def time_range(self, model: str) -> tuple[datetime, datetime] | None:
        """First and last timestamp logged for the model, or None when empty."""
        self._check("inference_log")
        with self._lock:
            frame = self._log(model)
        if frame.empty:
            return None
        return frame["ts"].iloc[0].to_pydatetime(), frame["ts"].iloc[-1].to_pydatetime()

    def bin_counts(
        self,
        model: str,
        feature: str,
        edges: np.ndarray,
        start: datetime,
        end: datetime,
    ) -> np.ndarray:
        """Counts per open bin (or per category, then unseen), then missing values."""
        from backends.counting import bin_counts_of

        return bin_counts_of(self.window(model, start, end, columns=[feature])[feature], edges)

    def put_reference(self, model: str, frame: pd.DataFrame, version: str | None = None) -> int:
        """Store the reference sample of a version (None: of the model as a whole)."""
        self._check("features")
        with self._lock:
            self._entry(model)
            self._references[(model, version)] = frame.copy()
        return len(frame)

    def reference(self, model: str, version: str | None = None) -> pd.DataFrame:
        """The version's reference sample, else the model's; NotFoundError when neither exists."""
        self._check("features")
        with self._lock:
            self._entry(model)
            found = self._references.get((model, version), self._references.get((model, None)))
        if found is None:
            raise NotFoundError(f"no reference sample for {model} version {version}")
        return found.copy()

    def set_freshness(self, model: str, updated: Mapping[str, datetime]) -> None:
        """Record when each feature of a model was last updated."""
        self._check("features")
        with self._lock:
            self._freshness.setdefault(model, {}).update(updated)

    def freshness(self, model: str) -> Mapping[str, datetime]:
        """When each feature was last logged (as embedded says), unless set_freshness set it."""
        from backends.embedded.features import NOT_FEATURES

        self._check("features")
        with self._lock:
            declared = {spec.name for spec in self._entry(model).features}
            frame = self._log(model)
            found: dict[str, datetime] = {}
            if not frame.empty:
                last = frame["ts"].iloc[-1].to_pydatetime()
                for name in frame.columns:
                    logged = name not in NOT_FEATURES and not str(name).endswith("_ms")
                    if logged and (not declared or name in declared):
                        found[str(name)] = last
            found.update(self._freshness.get(model, {}))
        return dict(sorted(found.items()))

    def _log(self, model: str) -> pd.DataFrame:
        """The model's log frame (empty for a registered model never logged)."""
        import pandas as pd

        held = self._logs.get(model)
        if held is not None:
            return held
        self._entry(model)
        return pd.DataFrame(
            {
                "ts": pd.Series(dtype="datetime64[us, UTC]"),
                "request_id": pd.Series(dtype=object),
                "version": pd.Series(dtype=object),
                "label": pd.Series(dtype="float64"),
            }
        )
