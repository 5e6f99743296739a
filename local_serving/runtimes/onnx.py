"""ONNX models through ONNX Runtime, one intra-op thread per session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_serving.protocol.tensors import TensorSpec
from local_serving.runtimes.base import RuntimeLoadError

if TYPE_CHECKING:
    import numpy as np

ORT_TYPES = {
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(float16)": "FP16",
    "tensor(int64)": "INT64",
    "tensor(int32)": "INT32",
    "tensor(int16)": "INT16",
    "tensor(int8)": "INT8",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(bool)": "BOOL",
    "tensor(string)": "BYTES",
}


def _shape(dims: list[object]) -> tuple[int, ...]:
    """An ONNX Runtime shape with symbolic or unknown dimensions as -1."""
    return tuple(d if isinstance(d, int) and d >= 0 else -1 for d in dims)


def _spec(arg: object) -> TensorSpec:
    """One session input or output as a TensorSpec."""
    kind = getattr(arg, "type", "")
    datatype = ORT_TYPES.get(kind)
    if datatype is None:
        raise RuntimeLoadError(f"tensor {getattr(arg, 'name', '?')!r} has unsupported type {kind}")
    return TensorSpec(
        str(getattr(arg, "name", "")), datatype, _shape(list(getattr(arg, "shape", [])))
    )


class OnnxRunner:
    """An ONNX model in an InferenceSession with intra_op_num_threads=1."""

    platform = "onnxruntime_onnx"

    def __init__(self, path: str) -> None:
        """Open the session; a missing or corrupt file is a RuntimeLoadError."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self._session = ort.InferenceSession(
                path, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise RuntimeLoadError(f"cannot load ONNX model {path}: {error}") from error
        self.runtime_version = f"onnxruntime {ort.__version__}"
        self.inputs = tuple(_spec(arg) for arg in self._session.get_inputs())
        self.outputs = tuple(_spec(arg) for arg in self._session.get_outputs())
        self._output_names = [spec.name for spec in self.outputs]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the session on one batch."""
        result: list[np.ndarray] = self._session.run(self._output_names, feeds)
        return result
