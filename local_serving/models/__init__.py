"""The served models: loaded versions, their traffic tables, and the changes to them."""

from __future__ import annotations

from local_serving.models.manager import AdminError, ModelManager
from local_serving.models.served import LoadedVersion, ServedModel

__all__ = ["AdminError", "LoadedVersion", "ModelManager", "ServedModel"]
