"""Write a logistic regression as ONNX or TorchScript, and register it in a workspace.

The model takes one FP32 tensor `input` of shape [batch, n] and returns the
positive-class probability: ONNX output `score` [batch, 1], Torch `output` [batch, 1].
Torch programs come as TorchScript (`model.pt`) or torch.export (`model.pt2`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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


def _torch_logistic(weights: Sequence[float], bias: float) -> Any:
    """sigmoid(Linear) as a torch module in eval mode."""
    import torch

    linear = torch.nn.Linear(len(weights), 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([list(weights)], dtype=torch.float32))
        linear.bias.copy_(torch.tensor([bias], dtype=torch.float32))
    return torch.nn.Sequential(linear, torch.nn.Sigmoid()).eval()


def logistic_torchscript(path: Path, weights: Sequence[float], bias: float) -> Path:
    """The logistic regression as a TorchScript program (deprecated by Torch, still served)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(_torch_logistic(weights, bias)), str(path))
    return path


def logistic_exported(path: Path, weights: Sequence[float], bias: float) -> Path:
    """The logistic regression as a torch.export program with a dynamic batch dimension."""
    import torch

    module = _torch_logistic(weights, bias)
    example = (torch.zeros(2, len(weights)),)
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(module, example, dynamic_shapes=({0: batch},))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, str(path))
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
    elif runtime == "torchscript":
        artifact = logistic_torchscript(folder / "model.pt", weights, bias)
    elif runtime == "torch.export":
        artifact = logistic_exported(folder / "model.pt2", weights, bias)
    else:
        raise ValueError(f"runtime must be onnx, torchscript or torch.export, not {runtime!r}")
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
