"""Model runtimes: one `Runner` per loaded version, ONNX Runtime or Torch."""

from __future__ import annotations

from local_serving.runtimes.base import Runner, RuntimeLoadError, load_runner

__all__ = ["Runner", "RuntimeLoadError", "load_runner"]
