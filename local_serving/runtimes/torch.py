"""Torch programs (TorchScript `model.pt` or torch.export `.pt2`) through Torch on the CPU.

Convention: one FP32 input named `input` of shape [batch, n_features] and one output
named `output`; its datatype and shape are read from a warm-up run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local_serving.protocol.datatypes import v2_datatype
from local_serving.protocol.tensors import TensorSpec
from local_serving.runtimes.base import RuntimeLoadError

if TYPE_CHECKING:
    import numpy as np


def _load_module(path: str) -> tuple[Any, str]:
    """A TorchScript module, or else the module of a torch.export program."""
    import torch

    try:
        return torch.jit.load(path, map_location="cpu").eval(), "pytorch_torchscript"
    except Exception as script_error:
        try:
            return torch.export.load(path).module(), "pytorch_export"
        except Exception as export_error:
            raise RuntimeLoadError(
                f"cannot load Torch program {path}: not TorchScript ({script_error}); "
                f"not torch.export ({export_error})"
            ) from export_error


class TorchRunner:
    """A Torch program run under inference_mode on one CPU thread."""

    def __init__(self, path: str, n_features: int | None) -> None:
        """Load the program and probe its output tensor with one zero row."""
        import numpy as np
        import torch

        self._torch = torch
        self._module, self.platform = _load_module(path)
        self.runtime_version = f"torch {torch.__version__}"
        width = n_features if n_features else -1
        self.inputs: tuple[TensorSpec, ...] = (TensorSpec("input", "FP32", (-1, width)),)
        probe = np.zeros((1, n_features or 1), dtype=np.float32)
        try:
            out = self.run({"input": probe})[0]
        except Exception as error:
            raise RuntimeLoadError(
                f"Torch program {path} failed on a probe batch: {error}"
            ) from error
        self.outputs: tuple[TensorSpec, ...] = (
            TensorSpec("output", v2_datatype(out.dtype), (-1, *out.shape[1:])),
        )

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the program on one batch."""
        torch = self._torch
        batch = feeds["input"]
        if not batch.flags.writeable:
            batch = batch.copy()
        with torch.inference_mode():
            out = self._module(torch.from_numpy(batch))
        if isinstance(out, tuple | list):
            out = out[0]
        return [out.numpy()]
