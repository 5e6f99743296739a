"""The inference log writer and per-minute metric rollups, off the request path."""

from __future__ import annotations

from local_serving.recorder.writer import Recorder, Sample

__all__ = ["Recorder", "Sample"]
