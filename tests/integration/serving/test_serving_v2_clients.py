"""A V2 client nobody here wrote (tritonclient) gets metadata and inferences, ONNX and Torch."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from .helpers import CHURN_V1, CHURN_V2, FRAUD_V1, FRAUD_V2, expected_scores

pytestmark = pytest.mark.integration
X3 = np.array([[0.1, 0.2, 0.3], [1.0, -2.0, 0.5], [0.0, 0.0, 0.0]], dtype=np.float32)


@pytest.fixture(scope="module")
def client(server):
    return triton.InferenceServerClient(server.url.removeprefix("http://"))


def test_health_and_server_metadata(client):
    assert client.is_server_live() and client.is_server_ready()
    meta = client.get_server_metadata()
    assert meta["name"] == "local_serving" and "binary_tensor_data" in meta["extensions"]
    assert client.is_model_ready("fraud") and client.is_model_ready("fraud", "2")
    assert not client.is_model_ready("nope")


def test_onnx_model_metadata_is_read_from_the_session(client):
    meta = client.get_model_metadata("fraud")
    assert meta["platform"] == "onnxruntime_onnx"
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3]}]
    assert meta["outputs"] == [{"name": "score", "datatype": "FP32", "shape": [-1, 1]}]
    assert sorted(meta["versions"]) == ["1", "2"]


def test_torch_model_metadata_follows_the_convention(client):
    meta = client.get_model_metadata("churn", "1")
    assert meta["platform"] == "pytorch_torchscript"
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 2]}]
    assert meta["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 1]}]
    assert meta["parameters"]["runtime_version"] == f"torch {metadata.version('torch')}"


@pytest.mark.parametrize("binary", [True, False])
def test_onnx_inference_matches_the_model(client, binary):
    tensor = triton.InferInput("input", list(X3.shape), "FP32")
    tensor.set_data_from_numpy(X3, binary_data=binary)
    wanted = [triton.InferRequestedOutput("score", binary_data=binary)]
    result = client.infer("fraud", [tensor], outputs=wanted, request_id="abc")
    response = result.get_response()
    assert response["model_version"] == "1" and response["id"] == "abc"
    scores = result.as_numpy("score")
    np.testing.assert_allclose(scores[:, 0], expected_scores(FRAUD_V1, X3), rtol=1e-5)


def test_a_version_can_be_asked_for_by_path(client):
    tensor = triton.InferInput("input", list(X3.shape), "FP32")
    tensor.set_data_from_numpy(X3)
    result = client.infer("fraud", [tensor], model_version="2")
    assert result.get_response()["model_version"] == "2"
    np.testing.assert_allclose(
        result.as_numpy("score")[:, 0], expected_scores(FRAUD_V2, X3), rtol=1e-5
    )


def test_torch_inference_matches_the_model(client):
    x = np.array([[0.5, 0.25], [-1.0, 2.0]], dtype=np.float32)
    tensor = triton.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("churn", [tensor])
    assert result.get_response()["model_version"] == "1"
    np.testing.assert_allclose(
        result.as_numpy("output")[:, 0], expected_scores(CHURN_V1, x), rtol=1e-5
    )


def test_the_client_sees_our_errors(client):
    tensor = triton.InferInput("input", [1, 4], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 4), np.float32))
    with pytest.raises(InferenceServerException, match=r"shape \[1, 4\] does not match"):
        client.infer("fraud", [tensor])
    with pytest.raises(InferenceServerException, match="unknown model 'ghost'"):
        client.infer("ghost", [tensor])


def test_a_torch_export_program_is_served_too(client):
    meta = client.get_model_metadata("churn", "2")
    assert meta["platform"] == "pytorch_export"
    x = np.array([[0.5, 0.25], [-1.0, 2.0], [3.0, 3.0]], dtype=np.float32)
    tensor = triton.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("churn", [tensor], model_version="2")
    np.testing.assert_allclose(
        result.as_numpy("output")[:, 0], expected_scores(CHURN_V2, x), rtol=1e-5
    )
