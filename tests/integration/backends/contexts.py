"""Contexts for the backend tests: a config.yaml naming real servers, the rest embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from backends.embedded import EmbeddedBackend


def install_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, backends: dict[str, Any]
) -> Path:
    """Write a config with context `name` (`backends` over an empty workspace); XDG points at it."""
    workspace = tmp_path / "workspace"
    EmbeddedBackend(str(workspace)).close()
    config_dir = tmp_path / "xdg" / "vigil"
    config_dir.mkdir(parents=True, exist_ok=True)
    body = {"contexts": {name: {"workspace": str(workspace), "backends": backends}}}
    (config_dir / "config.yaml").write_text(yaml.safe_dump(body))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return workspace
