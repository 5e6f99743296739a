"""Hypothesis fuzzes the V2 decoder: any body is decoded or refused with a 4xx, never a crash.

Bodies are near-valid requests with fields swapped for arbitrary JSON, their serialised
bytes cut or flipped, and raw bytes. Whatever decodes is bound to a model, and its
answer encoded, which must always be valid JSON.
"""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_serving.protocol.datatypes import DATATYPES
from local_serving.protocol.tensors import TensorSpec
from local_serving.protocol.v2 import (
    ProtocolError,
    bind_inputs,
    decode_request,
    encode_response,
    select_outputs,
)

SPECS = (TensorSpec("input", "FP32", (-1, 3)), TensorSpec("mask", "BOOL", (-1,)))
OUTPUTS = (TensorSpec("score", "FP32", (-1, 1)),)
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
datatypes = st.sampled_from([*DATATYPES, "BYTES", "fp32", ""])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**65), 2**65) | scalars


MOSTLY = st.sampled_from([True] * 9 + [False])


def often(valid: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly `valid`, sometimes any JSON value: near-valid requests reach the deeper checks."""
    return st.one_of(valid, valid, valid, json_values)


@st.composite
def tensor_data(draw: st.DrawFn, size: int) -> object:
    """Numbers for `size` values (sometimes more or less, or not numbers), flat or nested."""
    count = draw(st.sampled_from([size, size, size, max(size - 1, 0), size + 1]))
    element = st.one_of(st.floats(-1e6, 1e6), st.integers(-300, 300), st.booleans(), numbers)
    flat = draw(st.lists(element, min_size=count, max_size=count))
    if flat and draw(st.booleans()):
        width = draw(st.integers(min_value=1, max_value=len(flat)))
        return [flat[i : i + width] for i in range(0, len(flat), width)]
    return flat


@st.composite
def input_entries(draw: st.DrawFn) -> object:
    """An input entry whose every field is mostly valid, sometimes missing or arbitrary."""
    shape = draw(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=3))
    size = int(np.prod(shape))
    entry: dict[str, object] = {}
    fields = {
        "name": often(st.sampled_from(["input", "mask", "other"])),
        "datatype": often(datatypes),
        "shape": often(st.just(shape)),
    }
    for key, strategy in fields.items():
        if draw(MOSTLY):
            entry[key] = draw(strategy)
    if draw(MOSTLY):
        entry["data"] = draw(often(tensor_data(size)))
    else:
        nbytes = st.sampled_from([size * 4, size, size * 8, -1]) | json_values
        entry["parameters"] = draw(often(st.fixed_dictionaries({"binary_data_size": nbytes})))
    return entry if draw(MOSTLY) else draw(json_values)


@st.composite
def documents(draw: st.DrawFn) -> object:
    """A request document: inputs, and maybe id, parameters and outputs of any kind."""
    doc: dict[str, object] = {
        "inputs": draw(often(st.lists(input_entries(), min_size=1, max_size=3)))
    }
    if draw(st.booleans()):
        doc["id"] = draw(often(st.text(max_size=8)))
    if draw(st.booleans()):
        options = st.fixed_dictionaries(
            {"binary_data_output": json_values, "routing_key": json_values}
        )
        doc["parameters"] = draw(often(options))
    if draw(st.booleans()):
        output = st.fixed_dictionaries(
            {"name": often(st.sampled_from(["score", "x"]))},
            optional={"parameters": often(st.fixed_dictionaries({"binary_data": st.booleans()}))},
        )
        doc["outputs"] = draw(often(st.lists(output, max_size=2)))
    return doc


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, int | None]:
    """Serialised documents, cut, flipped or followed by binary data; or raw bytes."""
    kind = draw(st.sampled_from(["document"] * 5 + ["binary"] * 2 + ["cut", "flip", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=200)), draw(st.none() | st.integers(-2, 300))
    head = json.dumps(draw(documents())).encode()
    if kind == "cut":
        return head[: draw(st.integers(0, len(head)))], None
    if kind == "flip":
        at = draw(st.integers(0, len(head) - 1))
        return head[:at] + bytes([draw(st.integers(0, 255))]) + head[at + 1 :], None
    if kind == "binary":
        tail = draw(st.binary(max_size=64))
        return head + tail, draw(st.sampled_from([len(head), len(head), len(head) + 1, 0]))
    return head, None


def _must_be_a_4xx(error: ProtocolError) -> None:
    assert 400 <= error.status < 500, (error.status, error.message)
    assert error.message


def _decode_bind_encode(content: bytes, header_length: int | None, allow_non_finite: bool) -> None:
    """Decode, bind to SPECS and encode an answer: only 4xx refusals, and valid JSON out."""
    try:
        decoded = decode_request(content, header_length, allow_non_finite)
        feeds = bind_inputs(decoded, SPECS)
        assert feeds["input"].dtype == np.float32 and feeds["mask"].dtype == np.bool_
        if not allow_non_finite:
            assert np.isfinite(feeds["input"]).all()
        chosen = select_outputs(decoded, OUTPUTS, [feeds["input"][:, :1].copy()])
    except ProtocolError as error:
        assert 400 <= error.status < 500, (error.status, error.message)
        assert error.message
        return
    encoded, json_length = encode_response("m", "1", decoded.request_id or "r", chosen)
    head = encoded if json_length is None else encoded[:json_length]
    json.loads(head, parse_constant=_no_bare_constants)


def _no_bare_constants(token: str) -> None:
    """json's hook for NaN and Infinity: they must never appear in an answer."""
    raise AssertionError(f"bare {token} in a JSON answer")


@FUZZ
@given(body=bodies(), allow_non_finite=st.booleans())
def test_any_body_is_decoded_or_refused_with_a_4xx(body, allow_non_finite):
    _decode_bind_encode(*body, allow_non_finite)


@st.composite
def well_formed(draw: st.DrawFn) -> dict[str, object]:
    """A request whose structure is right; only the tensors' datatypes, shapes and values vary."""
    inputs = []
    for name in draw(st.lists(st.sampled_from(["input", "mask"]), min_size=1, max_size=2)):
        shape = draw(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=3))
        datatype = draw(st.sampled_from(sorted(DATATYPES)))
        data = draw(tensor_data(int(np.prod(shape))))
        inputs.append({"name": name, "datatype": datatype, "shape": shape, "data": data})
    return {"inputs": inputs}


@FUZZ
@given(doc=well_formed() | documents(), allow_non_finite=st.booleans())
def test_a_decoded_tensor_has_its_declared_shape_and_datatype(doc, allow_non_finite):
    content = json.dumps(doc).encode()
    try:
        decoded = decode_request(content, None, allow_non_finite)
    except ProtocolError as error:
        assert 400 <= error.status < 500, (error.status, error.message)
        return
    for tensor in decoded.inputs:
        assert tensor.array.shape == tensor.shape
        assert tensor.array.dtype == np.dtype(DATATYPES[tensor.datatype])
        assert tensor.array.size > 0
        if not allow_non_finite and tensor.array.dtype.kind == "f":
            assert np.isfinite(tensor.array).all()
    _decode_bind_encode(content, None, allow_non_finite)
