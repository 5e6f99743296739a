"""Tiny example models (logistic regressions) for tests, benchmarks and trying the server."""

from __future__ import annotations

from local_serving.examples.build import (
    logistic_exported,
    logistic_onnx,
    logistic_torchscript,
    register_logistic,
)

__all__ = ["logistic_exported", "logistic_onnx", "logistic_torchscript", "register_logistic"]
