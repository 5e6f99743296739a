"""KServe V2 decoding and encoding: flat, nested and binary data, and the errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from local_serving.protocol.tensors import TensorSpec
from local_serving.protocol.v2 import (
    ProtocolError,
    bind_inputs,
    decode_request,
    encode_response,
    select_outputs,
)

INPUT = (TensorSpec("input", "FP32", (-1, 3)),)
OUTPUT = (TensorSpec("score", "FP32", (-1, 1)),)


def _request(inputs, **extra):
    return json.dumps({"inputs": inputs, **extra}).encode()


def test_flat_and_nested_data_give_the_same_tensor():
    flat = {"name": "input", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}
    nested = {**flat, "data": [[1, 2, 3], [4, 5, 6]]}
    a = bind_inputs(decode_request(_request([flat]), None), INPUT)["input"]
    b = bind_inputs(decode_request(_request([nested]), None), INPUT)["input"]
    assert a.dtype == np.float32 and a.shape == (2, 3)
    np.testing.assert_array_equal(a, b)


def test_binary_tensor_data_is_read_after_the_json_header():
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    entry = {
        "name": "input",
        "datatype": "FP32",
        "shape": [2, 3],
        "parameters": {"binary_data_size": values.nbytes},
    }
    head = _request([entry])
    decoded = decode_request(head + values.tobytes(), len(head))
    np.testing.assert_array_equal(bind_inputs(decoded, INPUT)["input"], values)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "non-empty 'inputs' list"),
        (_request([{"datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]), "missing 'name'"),
        (_request([{"name": "input", "datatype": "FP99", "shape": [1], "data": [1]}]), "FP99"),
        (_request([{"name": "input", "datatype": "BYTES", "shape": [1], "data": ["a"]}]), "BYTES"),
        (_request([{"name": "input", "datatype": "FP32", "shape": [-1, 3], "data": []}]), "shape"),
        (_request([{"name": "input", "datatype": "FP32", "shape": [1, 3]}]), "missing 'data'"),
    ],
)
def test_malformed_requests_name_the_problem(body, message):
    with pytest.raises(ProtocolError, match=message) as caught:
        decode_request(body, None)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
            "unknown input 'x'",
        ),
        ({"name": "input", "datatype": "FP64", "shape": [1, 3], "data": [1, 2, 3]}, "FP64"),
        ({"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}, "[-1, 3]"),
    ],
)
def test_inputs_that_do_not_fit_the_model_are_refused(entry, message):
    decoded = decode_request(_request([entry]), None)
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        bind_inputs(decoded, INPUT)


def _entry(**changes):
    return {"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3], **changes}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_request([_entry(shape=[2, 3])]), "3 values but shape [2, 3] needs 6"),
        (_request([_entry(data=["a", "b", "c"])]), "FP32 data must be numbers"),
        (_request([_entry(data=[[1, 2], [3]])]), "ragged"),
        # the probe cases that answered 500
        (_request([_entry(shape=[0, 22], data=[])]), "shape [0, 22] holds no values"),
        (
            b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            b'"data": [1, 2, 1' + b"0" * 400 + b"]}]}",
            "must be numbers",
        ),
        (
            _request([_entry()], outputs=[{"name": "score", "parameters": 3}]),
            "output 'score': 'parameters' must be a JSON object",
        ),
        (_request([_entry(parameters=[1])]), "input 'input': 'parameters' must be a JSON object"),
        (_request([_entry(datatype=["FP32"])]), "'datatype' must be a string"),
        # values the JSON cannot carry
        (
            b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            b'"data": [1, NaN, 3]}]}',
            "NaN is not a JSON number",
        ),
        (
            b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            b'"data": [1, -Infinity, 3]}]}',
            "-Infinity is not a JSON number",
        ),
        (
            b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], '
            b'"data": [1, 1e400, 3]}]}',
            "NaN, Infinity or a value beyond FP32",
        ),
        (_request([_entry(data=[1, 1e39, 3])]), "beyond FP32"),
        (_request([_entry(data=[1, None, 3])]), "must be numbers"),
        # inputs that do not match
        (
            _request([_entry(shape=[1, 3], data=[[[1], [2], [3]]])]),
            "nested data of shape [1, 3, 1]",
        ),
        (_request([_entry(shape=[3], data=[[1, 2, 3]])]), "nested data of shape [1, 3]"),
        (_request([_entry(), _entry()]), "input 'input' is given twice"),
        # integers and booleans
        (_request([_entry(datatype="INT64", data=[1, 2.5, 3])]), "INT64 data must be integers"),
        (_request([_entry(datatype="UINT8", data=[1, 300, 3])]), "outside UINT8's [0, 255]"),
        (_request([_entry(datatype="INT64", data=[1, 2**64, 3])]), "INT64 data must be integers"),
        (_request([_entry(datatype="BOOL", data=[True, None, False])]), "true or false"),
        (_request([_entry(data=3)]), "'data' must be a list"),
        (_request([_entry(shape=[1] * 40, data=[1])]), "at most 32"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_tensors_that_cannot_be_decoded_are_refused(body, message):
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode_request(body, None)


def test_non_finite_values_are_accepted_when_allowed():
    body = (
        b'{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 4], '
        b'"data": [NaN, Infinity, null, 1e400]}]}'
    )
    array = decode_request(body, None, allow_non_finite=True).inputs[0].array
    assert np.isnan(array[0, 0]) and np.isinf(array[0, 1]) and np.isnan(array[0, 2])
    assert array[0, 3] == np.inf


def test_non_finite_binary_values_are_refused_by_default():
    values = np.array([[1.0, np.nan, 3.0]], dtype=np.float32)
    entry = _entry(parameters={"binary_data_size": values.nbytes})
    del entry["data"]
    head = _request([entry])
    with pytest.raises(ProtocolError, match="NaN, Infinity"):
        decode_request(head + values.tobytes(), len(head))
    allowed = decode_request(head + values.tobytes(), len(head), allow_non_finite=True)
    assert np.isnan(allowed.inputs[0].array[0, 1])


@pytest.mark.parametrize(("extra", "message"), [(8, "shorter than declared"), (16, "follow no")])
def test_binary_data_must_match_what_the_inputs_declare(extra, message):
    entry = {"name": "input", "datatype": "FP32", "shape": [1, 3]}
    entry["parameters"] = {"binary_data_size": 12}
    head = _request([entry])
    with pytest.raises(ProtocolError, match=message):
        decode_request(head + b"\0" * extra, len(head))


def test_non_finite_outputs_go_back_as_null_in_valid_json():
    scores = np.array([[np.nan], [np.inf], [0.5]], dtype=np.float32)
    decoded = decode_request(_request([_entry()]), None)
    body, _ = encode_response("m", "1", "r", select_outputs(decoded, OUTPUT, [scores]))
    doc = json.loads(body, parse_constant=lambda token: pytest.fail(f"bare {token}"))
    assert doc["outputs"][0]["data"] == [None, None, 0.5]


def test_a_protocol_error_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(ProtocolError(413, "too big")))
    assert (error.status, error.message) == (413, "too big")


def test_json_response_is_flat_row_major_with_the_model_version():
    scores = np.array([[0.25], [0.75]], dtype=np.float32)
    decoded = decode_request(
        _request([{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [0, 0, 0]}]), None
    )
    body, header = encode_response("m", "2", "r1", select_outputs(decoded, OUTPUT, [scores]))
    doc = json.loads(body)
    assert header is None
    assert doc["model_version"] == "2" and doc["id"] == "r1"
    assert doc["outputs"] == [
        {"name": "score", "datatype": "FP32", "shape": [2, 1], "data": [0.25, 0.75]}
    ]


def test_binary_output_when_asked_for():
    scores = np.array([[0.5]], dtype=np.float32)
    entry = {"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [0, 0, 0]}
    decoded = decode_request(_request([entry], parameters={"binary_data_output": True}), None)
    body, header = encode_response("m", "1", "r", select_outputs(decoded, OUTPUT, [scores]))
    assert header is not None
    doc = json.loads(body[:header])
    assert doc["outputs"][0]["parameters"]["binary_data_size"] == 4
    assert np.frombuffer(body[header:], dtype=np.float32).tolist() == [0.5]


def test_unknown_requested_output_is_refused():
    entry = {"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [0, 0, 0]}
    decoded = decode_request(_request([entry], outputs=[{"name": "nope"}]), None)
    with pytest.raises(ProtocolError, match="unknown output 'nope'"):
        select_outputs(decoded, OUTPUT, [np.zeros((1, 1), np.float32)])


def test_the_protocol_package_imports_nothing_above_it():
    import ast
    from pathlib import Path

    import local_serving.protocol

    above = ("local_serving.runtimes", "local_serving.http", "local_serving.models")
    for module in Path(local_serving.protocol.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        assert not [name for name in imported if name.startswith(above)], module.name
