"""The runner interface every runtime implements, and the loader that picks one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from local_serving.protocol.tensors import TensorSpec

if TYPE_CHECKING:
    import numpy as np

WARMUP_RUNS = 3


class RuntimeLoadError(Exception):
    """A model artifact could not be loaded or failed its warm-up."""


class Runner(Protocol):
    """A loaded model version: its tensors and a synchronous `run`."""

    platform: str
    runtime_version: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run one batch; outputs in the order of `outputs`."""
        ...


def load_runner(runtime: str, path: str, n_features: int | None = None) -> Runner:
    """Load an artifact on its runtime and warm it up before it takes traffic."""
    if runtime == "onnx":
        from local_serving.runtimes.onnx import OnnxRunner

        runner: Runner = OnnxRunner(path)
    elif runtime == "torch":
        from local_serving.runtimes.torch import TorchRunner

        runner = TorchRunner(path, n_features)
    else:
        raise RuntimeLoadError(f"unknown runtime {runtime!r} (expected 'onnx' or 'torch')")
    warm_up(runner, n_features)
    return runner


def warm_up(runner: Runner, n_features: int | None) -> None:
    """Run zero batches of size 1 and 8 so the first real request pays no first-run cost."""
    import numpy as np

    from local_serving.protocol.datatypes import numpy_dtype

    for batch in (1, 8):
        feeds = {}
        for spec in runner.inputs:
            shape = [batch if i == 0 and d < 0 else d for i, d in enumerate(spec.shape)]
            shape = [(n_features or 1) if d < 0 else d for d in shape]
            feeds[spec.name] = np.zeros(shape, dtype=numpy_dtype(spec.datatype))
        for _ in range(WARMUP_RUNS):
            try:
                runner.run(feeds)
            except Exception as error:
                raise RuntimeLoadError(f"warm-up failed: {error}") from error
