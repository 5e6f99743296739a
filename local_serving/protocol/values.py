"""Tensor data of a V2 request as an array of its declared datatype, checked strictly.

A request's `data` must be a list, flat (row-major) or nested exactly as its shape;
numbers only, of the datatype's kind and range. NaN, ±Infinity and null have no
place in JSON numbers: they are refused unless the server allows non-finite inputs.
"""

from __future__ import annotations

from contextlib import suppress
from math import prod
from typing import TYPE_CHECKING, Any

from local_serving.protocol.datatypes import numpy_dtype
from local_serving.protocol.errors import ProtocolError

if TYPE_CHECKING:
    import numpy as np

NON_FINITE_HINT = "non-finite values are refused (the server's --allow-non-finite accepts them)"


def check_shape(name: str, shape: list[int]) -> int:
    """The number of values a shape holds; an empty tensor is refused (nothing to score)."""
    size = prod(shape)
    if size == 0:
        raise ProtocolError(400, f"input {name!r}: shape {shape} holds no values")
    return size


def json_array(
    name: str, datatype: str, shape: list[int], data: Any, allow_non_finite: bool
) -> np.ndarray:
    """The JSON `data` of one input as an array of `shape`, or a 400 saying what is wrong."""
    import numpy as np

    if not isinstance(data, list):
        raise ProtocolError(400, f"input {name!r}: 'data' must be a list")
    size = check_shape(name, shape)
    try:
        raw = np.asarray(data)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise ProtocolError(
            400, f"input {name!r}: nested 'data' is ragged or too deep for shape {shape}"
        ) from None
    if raw.ndim > 1 and list(raw.shape) != shape:
        raise ProtocolError(
            400, f"input {name!r}: nested data of shape {list(raw.shape)} does not match {shape}"
        )
    if raw.size != size:
        raise ProtocolError(
            400, f"input {name!r}: {raw.size} values but shape {shape} needs {size}"
        )
    array = _converted(name, datatype, raw, allow_non_finite)
    return array.reshape(shape)


def _converted(name: str, datatype: str, raw: np.ndarray, allow_non_finite: bool) -> np.ndarray:
    """`raw` (numpy's own reading of the JSON) as `datatype`, refusing other kinds of value."""
    import numpy as np

    dtype = numpy_dtype(datatype)
    kind, target = raw.dtype.kind, dtype.kind
    if target == "b":
        if kind != "b":
            raise ProtocolError(400, f"input {name!r}: BOOL data must be true or false")
        return raw
    if target in "iu":
        if kind not in "iu":
            raise ProtocolError(400, f"input {name!r}: {datatype} data must be integers")
        info = np.iinfo(dtype)
        if raw.dtype != dtype and (raw.min() < info.min or raw.max() > info.max):
            raise ProtocolError(
                400,
                f"input {name!r}: a value is outside {datatype}'s [{info.min}, {info.max}]",
            )
        return raw.astype(dtype, copy=False)
    if kind == "O" and allow_non_finite:
        with suppress(ValueError, TypeError, OverflowError):
            raw = raw.astype(np.float64)  # null becomes NaN
    if raw.dtype.kind not in "iuf":
        raise ProtocolError(
            400,
            f"input {name!r}: {datatype} data must be numbers (no null, strings or huge integers)",
        )
    if allow_non_finite:
        with np.errstate(over="ignore"):
            return raw.astype(dtype, copy=False)
    check_finite(name, datatype, raw, float(np.finfo(dtype).max))
    return raw.astype(dtype, copy=False)


def check_finite(name: str, datatype: str, values: np.ndarray, limit: float) -> None:
    """Refuse NaN, ±Infinity, and magnitudes over `limit` (they would cast to ±Infinity)."""
    import numpy as np

    peak = np.maximum.reduce(np.abs(values), axis=None)  # NaN propagates, so one test does
    if not peak <= limit:
        raise ProtocolError(
            400,
            f"input {name!r}: NaN, Infinity or a value beyond {datatype}; {NON_FINITE_HINT}",
        )


def binary_array(
    name: str, datatype: str, shape: list[int], blob: memoryview, allow_non_finite: bool
) -> np.ndarray:
    """Raw little-endian tensor bytes as an array of `shape`, under the same value policy."""
    import numpy as np

    check_shape(name, shape)
    dtype = numpy_dtype(datatype)
    array = np.frombuffer(blob, dtype=dtype).reshape(shape)
    if not allow_non_finite and dtype.kind == "f":
        check_finite(name, datatype, array, float(np.finfo(dtype).max))
    return array
