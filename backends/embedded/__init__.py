"""The embedded backend: one workspace directory with SQLite (SQLAlchemy Core) and Parquet logs.

`EmbeddedBackend(workspace)` implements every contract but RetrainTrigger by
composing one mixin per idea: registry, metrics, feature store, inference
log, serving control and incidents. The layout is in docs/workspace.md.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from backends.contracts import BackendError
from backends.discovery import Option
from backends.embedded.db import Database
from backends.embedded.features import FeaturesMixin
from backends.embedded.incidents import IncidentsMixin
from backends.embedded.inference_log import InferenceLogMixin
from backends.embedded.metrics import MetricsMixin
from backends.embedded.registry import RegistryMixin
from backends.embedded.serving import ServingMixin

if TYPE_CHECKING:
    import pyarrow as pa

    from backends.kserve_v2 import KServeV2Serving

__all__ = ["EmbeddedBackend"]

DATABASE = "vigil.db"


class EmbeddedBackend(
    RegistryMixin,
    MetricsMixin,
    FeaturesMixin,
    InferenceLogMixin,
    ServingMixin,
    IncidentsMixin,
):
    """Every contract but retraining, over one workspace directory."""

    OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("workspace", "directory", "the workspace directory (`vigil demo` builds one)"),
    )

    def __init__(self, workspace: str | Path) -> None:
        """Open the workspace at `workspace`, creating the directory and database if needed."""
        root = Path(workspace).expanduser()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BackendError(f"cannot create workspace {root}: {error}") from error
        if not root.is_dir():
            raise BackendError(f"workspace {root} is not a directory")
        self._root = root.resolve()
        self._db = Database(self._root / DATABASE)
        self._schemas: dict[Path, pa.Schema] = {}
        self._schema_lock = threading.Lock()
        self._live_lock = threading.Lock()
        self._live_cache: tuple[float, KServeV2Serving | None] | None = None
        self._live_client: tuple[tuple[str, str | None], KServeV2Serving] | None = None

    @property
    def workspace(self) -> Path:
        """The workspace directory."""
        return self._root

    def close(self) -> None:
        """Release the database connections and any admin client."""
        self._db.close()
        if self._live_client is not None:
            self._live_client[1].close()
            self._live_client = None

    def __repr__(self) -> str:
        """`EmbeddedBackend('/path')`."""
        return f"EmbeddedBackend({str(self._root)!r})"
