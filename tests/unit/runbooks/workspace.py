"""A small embedded workspace for runbook tests: one model, a champion and a challenger."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backends.contracts import Lineage, ModelVersion

MODEL = "fraud-detector"


def make_workspace(root: Path) -> Path:
    """Register v1 (champion) and v2 (challenger); the stored split is v1 at 100 %."""
    from backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(root)
    lineage = Lineage("c", "d", "f", "e")
    now = datetime.now(UTC)
    for version, alias in (("1", "champion"), ("2", "challenger")):
        backend.register_version(
            ModelVersion(
                MODEL,
                version,
                now,
                "onnx",
                f"file://{root}/m{version}.onnx",
                lineage,
                aliases=(alias,),
                metrics={"accuracy": 0.95},
            )
        )
    backend.store_traffic(MODEL, {"1": 100}, actor="test")
    backend.close()
    return root
