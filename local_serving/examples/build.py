"""Write a logistic regression as ONNX or TorchScript, and register it in a workspace.

The model takes one FP32 tensor `input` of shape [batch, n] and returns the
positive-class probability: ONNX output `score` [batch, 1], Torch `output` [batch, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path


def logistic_onnx(path: Path, weights: Sequence[float], bias: float) -> Path:
    """sigmoid(x @ w + b) as an ONNX graph built with onnx.helper."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n = len(weights)
    w = numpy_helper.from_array(np.asarray(weights, np.float32).reshape(n, 1), "w")
    b = numpy_helper.from_array(np.asarray([bias], np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["input", "w"], ["logit0"]),
            helper.make_node("Add", ["logit0", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["score"]),
        ],
        "logistic",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])],
        initializer=[w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def logistic_torchscript(path: Path, weights: Sequence[float], bias: float) -> Path:
    """The same logistic regression as a TorchScript program."""
    import torch

    linear = torch.nn.Linear(len(weights), 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([list(weights)], dtype=torch.float32))
        linear.bias.copy_(torch.tensor([bias], dtype=torch.float32))
    module = torch.nn.Sequential(linear, torch.nn.Sigmoid()).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(torch.jit.script(module), str(path))
    return path


def register_logistic(
    workspace: Path,
    model: str,
    version: str,
    weights: Sequence[float],
    bias: float = 0.0,
    runtime: str = "onnx",
    aliases: Sequence[str] = (),
) -> str:
    """Write the artifact under W/models/<model>/<version>/ and register it; returns its path."""
    from backends.contracts import FeatureSpec, Lineage, ModelVersion
    from backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(workspace=str(workspace))
    folder = workspace / "models" / model / version
    if runtime == "onnx":
        artifact = logistic_onnx(folder / "model.onnx", weights, bias)
    else:
        artifact = logistic_torchscript(folder / "model.pt", weights, bias)
    features = [FeatureSpec(f"x{i}", "numeric") for i in range(len(weights))]
    backend.upsert_model(model, features=features)
    backend.register_version(
        ModelVersion(
            model=model,
            version=version,
            created_at=datetime.now(UTC),
            runtime="onnx" if runtime == "onnx" else "torch",
            artifact_uri=str(artifact),
            lineage=Lineage("code", "data", "config", "env"),
        )
    )
    for alias in aliases:
        backend.set_alias(model, alias, version)
    backend.close()
    return str(artifact)
