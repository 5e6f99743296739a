"""Decode KServe V2 inference requests and encode responses, JSON or binary tensor data.

The binary extension (Triton's `Inference-Header-Content-Length`) is what tritonclient
sends by default: the JSON header is followed by raw little-endian tensor bytes.
`decode_request` does all the work a request needs before a model is known (JSON,
structure, tensor values), so it can run in another process for a large body;
`bind_inputs` then only checks the tensors against the routed version's signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from math import isfinite
from typing import TYPE_CHECKING, Any

from local_serving.protocol.datatypes import DATATYPES, numpy_dtype
from local_serving.protocol.errors import ProtocolError
from local_serving.protocol.tensors import TensorSpec
from local_serving.protocol.values import NON_FINITE_HINT, binary_array, check_shape, json_array

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "InferRequest",
    "InputTensor",
    "ProtocolError",
    "RequestedOutput",
    "bind_inputs",
    "decode_request",
    "encode_response",
    "select_outputs",
]
MAX_RANK = 32


@dataclass(frozen=True)
class RequestedOutput:
    """An output the client asked for, in JSON or as binary data."""

    name: str
    binary: bool


@dataclass(frozen=True)
class InputTensor:
    """One decoded input: its declared name, datatype and shape, and its values."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    array: np.ndarray


@dataclass(frozen=True)
class InferRequest:
    """A decoded request: its tensors and options, not yet bound to a model."""

    request_id: str | None
    inputs: tuple[InputTensor, ...]
    parameters: dict[str, Any]
    outputs: tuple[RequestedOutput, ...] | None
    binary_output: bool


def _refuse_constant(token: str) -> float:
    """json's hook for NaN and ±Infinity, which are not JSON numbers."""
    raise ProtocolError(400, f"{token} is not a JSON number; {NON_FINITE_HINT}")


# Built once: json.loads with a hook would build a decoder per request (~14 µs).
_STRICT_JSON = json.JSONDecoder(parse_constant=_refuse_constant)
_LENIENT_JSON = json.JSONDecoder()
_ANSWER_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def decode_request(
    body: bytes, header_length: int | None, allow_non_finite: bool = False
) -> InferRequest:
    """Parse a request and turn its tensors into arrays; every problem is a 4xx."""
    if header_length is not None and not 0 < header_length <= len(body):
        raise ProtocolError(400, f"Inference-Header-Content-Length {header_length} is out of range")
    head = body if header_length is None else body[:header_length]
    try:
        text = head.decode(json.detect_encoding(head), "surrogatepass")
        doc = (_LENIENT_JSON if allow_non_finite else _STRICT_JSON).decode(text)
    except RecursionError:
        raise ProtocolError(400, "request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(400, f"request body is not valid JSON: {error}") from error
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise ProtocolError(400, "request must be a JSON object with a non-empty 'inputs' list")
    parameters = _object(doc.get("parameters"), "'parameters'")
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise ProtocolError(400, "'id' must be a string")
    blob = memoryview(body)[header_length:] if header_length is not None else memoryview(b"")
    inputs, offset, seen = [], 0, set()
    for index, entry in enumerate(doc["inputs"]):
        tensor, offset = _input(index, entry, blob, offset, allow_non_finite)
        if tensor.name in seen:
            raise ProtocolError(400, f"input {tensor.name!r} is given twice")
        seen.add(tensor.name)
        inputs.append(tensor)
    if offset != len(blob):
        raise ProtocolError(400, f"{len(blob) - offset} bytes of binary data follow no input")
    return InferRequest(
        request_id=request_id,
        inputs=tuple(inputs),
        parameters=parameters,
        outputs=_requested_outputs(doc.get("outputs")),
        binary_output=bool(parameters.get("binary_data_output", False)),
    )


def _object(value: Any, what: str) -> dict[str, Any]:
    """An optional JSON object (absent or null is empty); anything else is a 400."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(400, f"{what} must be a JSON object")
    return value


def _input(
    index: int, entry: Any, blob: memoryview, offset: int, allow_non_finite: bool
) -> tuple[InputTensor, int]:
    """One input entry checked and decoded; returns it and the next binary offset."""
    if not isinstance(entry, dict):
        raise ProtocolError(400, f"input {index} must be a JSON object")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ProtocolError(400, f"input {index}: missing 'name'")
    datatype = entry.get("datatype")
    if not isinstance(datatype, str):
        raise ProtocolError(400, f"input {name!r}: 'datatype' must be a string")
    if datatype == "BYTES":
        raise ProtocolError(400, f"input {name!r}: BYTES tensors are not supported")
    if datatype not in DATATYPES:
        raise ProtocolError(400, f"input {name!r}: unknown datatype {datatype[:40]!r}")
    shape = entry.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_RANK
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise ProtocolError(
            400,
            f"input {name!r}: 'shape' must be a list of at most {MAX_RANK} non-negative integers",
        )
    params = _object(entry.get("parameters"), f"input {name!r}: 'parameters'")
    if "binary_data_size" not in params:
        if "data" not in entry:
            raise ProtocolError(400, f"input {name!r}: missing 'data'")
        return InputTensor(
            name,
            datatype,
            tuple(shape),
            json_array(name, datatype, shape, entry["data"], allow_non_finite),
        ), offset
    nbytes = params["binary_data_size"]
    size = check_shape(name, shape)
    if (
        not isinstance(nbytes, int)
        or isinstance(nbytes, bool)
        or nbytes != size * numpy_dtype(datatype).itemsize
    ):
        raise ProtocolError(
            400, f"input {name!r}: binary_data_size {nbytes!r} does not match shape {shape}"
        )
    if offset + nbytes > len(blob):
        raise ProtocolError(400, f"input {name!r}: binary data is shorter than declared")
    array = binary_array(name, datatype, shape, blob[offset : offset + nbytes], allow_non_finite)
    return InputTensor(name, datatype, tuple(shape), array), offset + nbytes


def _requested_outputs(outputs: Any) -> tuple[RequestedOutput, ...] | None:
    """The outputs asked for, or None for all of them."""
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        raise ProtocolError(400, "'outputs' must be a list")
    requested = []
    for entry in outputs:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ProtocolError(400, "each requested output needs a 'name'")
        params = _object(entry.get("parameters"), f"output {entry['name']!r}: 'parameters'")
        requested.append(RequestedOutput(entry["name"], bool(params.get("binary_data", False))))
    return tuple(requested)


def bind_inputs(request: InferRequest, specs: tuple[TensorSpec, ...]) -> dict[str, np.ndarray]:
    """The request's tensors as the model's feeds, checking names, datatypes and shapes."""
    by_name = {spec.name: spec for spec in specs}
    feeds: dict[str, np.ndarray] = {}
    for tensor in request.inputs:
        name, datatype, shape = tensor.name, tensor.datatype, tensor.shape
        spec = by_name.get(name)
        if spec is None:
            known = ", ".join(by_name)
            raise ProtocolError(400, f"unknown input {name!r} (model inputs: {known})")
        if datatype != spec.datatype:
            raise ProtocolError(
                400,
                f"input {name!r}: datatype {datatype} does not match the model's {spec.datatype}",
            )
        if len(shape) != len(spec.shape) or any(
            want >= 0 and got != want for got, want in zip(shape, spec.shape, strict=True)
        ):
            raise ProtocolError(
                400,
                f"input {name!r}: shape {list(shape)} does not match "
                f"the model's {list(spec.shape)}",
            )
        feeds[name] = tensor.array
    missing = [spec.name for spec in specs if spec.name not in feeds]
    if missing:
        raise ProtocolError(400, f"missing input {missing[0]!r}")
    return feeds


def select_outputs(
    request: InferRequest, specs: tuple[TensorSpec, ...], arrays: list[np.ndarray]
) -> list[tuple[TensorSpec, np.ndarray, bool]]:
    """The outputs to return, each with whether it goes as binary data."""
    if request.outputs is None:
        return [
            (spec, array, request.binary_output) for spec, array in zip(specs, arrays, strict=True)
        ]
    by_name = {spec.name: (spec, array) for spec, array in zip(specs, arrays, strict=True)}
    chosen = []
    for wanted in request.outputs:
        if wanted.name not in by_name:
            known = ", ".join(by_name)
            raise ProtocolError(400, f"unknown output {wanted.name!r} (model outputs: {known})")
        spec, array = by_name[wanted.name]
        chosen.append((spec, array, wanted.binary))
    return chosen


def encode_response(
    model: str,
    version: str,
    request_id: str,
    outputs: list[tuple[TensorSpec, np.ndarray, bool]],
) -> tuple[bytes, int | None]:
    """The response body and, when any output is binary, the JSON header length."""
    from local_serving.protocol.datatypes import v2_datatype

    entries: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for spec, array, binary in outputs:
        entry: dict[str, Any] = {
            "name": spec.name,
            "datatype": v2_datatype(array.dtype),
            "shape": list(array.shape),
        }
        if binary:
            raw = array.tobytes()
            entry["parameters"] = {"binary_data_size": len(raw)}
            blobs.append(raw)
        else:
            entry["data"] = _json_values(array)
        entries.append(entry)
    doc = {"model_name": model, "model_version": version, "id": request_id, "outputs": entries}
    head = _ANSWER_JSON.encode(doc).encode()
    if not blobs:
        return head, None
    return b"".join([head, *blobs]), len(head)


def _json_values(array: np.ndarray) -> list[Any]:
    """Flat values for JSON; NaN and ±Infinity, which JSON cannot carry, become null."""
    values: list[Any] = array.ravel().tolist()
    if array.dtype.kind == "f" and not all(isfinite(v) for v in values):
        values = [v if isfinite(v) else None for v in values]
    return values
