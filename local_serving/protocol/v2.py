"""Decode KServe V2 inference requests and encode responses, JSON or binary tensor data.

The binary extension (Triton's `Inference-Header-Content-Length`) is what tritonclient
sends by default: the JSON header is followed by raw little-endian tensor bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any

from local_serving.protocol.datatypes import DATATYPES, numpy_dtype
from local_serving.protocol.tensors import TensorSpec

if TYPE_CHECKING:
    import numpy as np


class ProtocolError(Exception):
    """A request the server refuses: an HTTP status and a message naming the problem."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status next to the message."""
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RequestedOutput:
    """An output the client asked for, in JSON or as binary data."""

    name: str
    binary: bool


@dataclass(frozen=True)
class InferRequest:
    """A decoded request: raw input entries and binary blob, not yet bound to a model."""

    request_id: str | None
    inputs: list[dict[str, Any]]
    blob: memoryview
    parameters: dict[str, Any]
    outputs: tuple[RequestedOutput, ...] | None
    binary_output: bool


def decode_request(body: bytes, header_length: int | None) -> InferRequest:
    """Parse the JSON part of a request and check its structure (not yet against a model)."""
    if header_length is not None and not 0 < header_length <= len(body):
        raise ProtocolError(400, f"Inference-Header-Content-Length {header_length} is out of range")
    head = body if header_length is None else body[:header_length]
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(400, f"request body is not valid JSON: {error}") from error
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise ProtocolError(400, "request must be a JSON object with a non-empty 'inputs' list")
    parameters = doc.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProtocolError(400, "'parameters' must be a JSON object")
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise ProtocolError(400, "'id' must be a string")
    for index, entry in enumerate(doc["inputs"]):
        _check_entry(index, entry)
    blob = memoryview(body)[header_length:] if header_length is not None else memoryview(b"")
    return InferRequest(
        request_id=request_id,
        inputs=doc["inputs"],
        blob=blob,
        parameters=parameters,
        outputs=_requested_outputs(doc.get("outputs")),
        binary_output=bool(parameters.get("binary_data_output", False)),
    )


def _check_entry(index: int, entry: Any) -> None:
    """One input entry has a name, a known datatype, a shape and data (or binary data)."""
    if not isinstance(entry, dict):
        raise ProtocolError(400, f"input {index} must be a JSON object")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ProtocolError(400, f"input {index}: missing 'name'")
    datatype = entry.get("datatype")
    if datatype == "BYTES":
        raise ProtocolError(400, f"input {name!r}: BYTES tensors are not supported")
    if datatype not in DATATYPES:
        raise ProtocolError(400, f"input {name!r}: unknown datatype {datatype!r}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise ProtocolError(400, f"input {name!r}: 'shape' must be a list of non-negative integers")
    params = entry.get("parameters") or {}
    if "data" not in entry and "binary_data_size" not in params:
        raise ProtocolError(400, f"input {name!r}: missing 'data'")


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
        params = entry.get("parameters") or {}
        requested.append(RequestedOutput(entry["name"], bool(params.get("binary_data", False))))
    return tuple(requested)


def bind_inputs(request: InferRequest, specs: tuple[TensorSpec, ...]) -> dict[str, np.ndarray]:
    """Turn the request's inputs into arrays, checking names, datatypes and shapes."""
    import numpy as np

    by_name = {spec.name: spec for spec in specs}
    feeds: dict[str, np.ndarray] = {}
    offset = 0
    for entry in request.inputs:
        name, datatype, shape = entry["name"], entry["datatype"], entry["shape"]
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
                400, f"input {name!r}: shape {shape} does not match the model's {list(spec.shape)}"
            )
        dtype = numpy_dtype(datatype)
        size = prod(shape)
        params = entry.get("parameters") or {}
        if "binary_data_size" in params:
            nbytes = params["binary_data_size"]
            if not isinstance(nbytes, int) or nbytes != size * dtype.itemsize:
                raise ProtocolError(
                    400, f"input {name!r}: binary_data_size {nbytes} does not match shape {shape}"
                )
            if offset + nbytes > len(request.blob):
                raise ProtocolError(400, f"input {name!r}: binary data is shorter than declared")
            array = np.frombuffer(request.blob[offset : offset + nbytes], dtype=dtype)
            offset += nbytes
        else:
            try:
                array = np.asarray(entry["data"], dtype=dtype)
            except (ValueError, TypeError) as error:
                raise ProtocolError(
                    400, f"input {name!r}: data is not {datatype}: {error}"
                ) from error
            if array.size != size:
                raise ProtocolError(
                    400,
                    f"input {name!r}: {array.size} values but shape {shape} needs {size}",
                )
        feeds[name] = array.reshape(shape)
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
            entry["data"] = array.ravel().tolist()
        entries.append(entry)
    doc = {"model_name": model, "model_version": version, "id": request_id, "outputs": entries}
    head = json.dumps(doc, separators=(",", ":")).encode()
    if not blobs:
        return head, None
    return b"".join([head, *blobs]), len(head)
