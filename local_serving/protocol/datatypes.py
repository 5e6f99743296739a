"""KServe V2 tensor datatypes and their numpy equivalents."""

from __future__ import annotations

from functools import cache
from typing import Any

DATATYPES: dict[str, str] = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
}
_BY_NUMPY = {numpy_name: v2 for v2, numpy_name in DATATYPES.items()}


@cache
def numpy_dtype(datatype: str) -> Any:
    """The numpy dtype of a V2 datatype; KeyError for BYTES or an unknown name."""
    import numpy as np

    return np.dtype(DATATYPES[datatype])


@cache
def v2_datatype(dtype: Any) -> str:
    """The V2 datatype of a numpy dtype (FP32 when it has none); cached, as str(dtype) is slow."""
    return _BY_NUMPY.get(str(dtype), "FP32")
