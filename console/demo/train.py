"""Train one demo model version with Torch and export it (ONNX or TorchScript), with lineage.

Torch is imported lazily here only: it is the optional `vigil[torch]` extra.
Preprocessing (log1p, standardisation, the regressor's target scale) is baked
into the network so the artifact takes the raw encoded input of meta.json.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from console.demo.catalog import ModelPlan, VersionPlan
from console.demo.encoding import INPUT_NAME, encode, meta

BATCH = 1024
CODE_FILES = ("train.py", "synthetic.py", "encoding.py", "catalog.py")


class TorchMissing(RuntimeError):
    """Torch is not installed; the demo cannot train its models."""


@dataclass(frozen=True)
class Trained:
    """One exported version: where its artifact is, its meta.json, metrics and lineage."""

    artifact: Path
    meta: dict[str, Any]
    metrics: dict[str, float]
    code_hash: str
    data_hash: str
    config_hash: str
    environment_hash: str


def environment() -> dict[str, str]:
    """The versions that produced an artifact: python, torch and onnxruntime."""
    import onnxruntime
    import torch

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "onnxruntime": str(onnxruntime.__version__),
    }


def require_torch() -> None:
    """Raise TorchMissing with the install command when torch cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise TorchMissing(
            "the demo trains its models with Torch, which is not installed: "
            "run `pip install torch==2.13.0` (or `pip install 'vigil[torch]'`)"
        ) from error


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def code_hash() -> str:
    """sha256 of the training code text (this module and what it trains on)."""
    here = Path(__file__).parent
    return sha256(b"".join((here / name).read_bytes() for name in CODE_FILES))


def train_version(
    plan: ModelPlan,
    version: VersionPlan,
    features: pd.DataFrame,
    target: np.ndarray,
    out_dir: Path,
    *,
    epochs: int,
    seed: int,
) -> Trained:
    """Train `version` of `plan` on (features, target), export it into out_dir, hash its lineage."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    x = encode(plan, features)
    y = target.astype(np.float32)
    n_train = int(len(x) * 0.8)
    config = {
        "model": plan.name,
        "version": version.version,
        "hidden": version.hidden,
        "lr": version.lr,
        "epochs": epochs,
        "batch": BATCH,
        "seed": seed,
        "feature_order": meta(plan, version.version, "")["feature_order"],
    }
    net = _network(plan, x[:n_train], y[:n_train], version.hidden)
    _fit(net, x[:n_train], y[:n_train], plan.task, version.lr, epochs)
    net.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    output = output_name(plan)
    artifact = _export(net, plan, out_dir, x.shape[1], output)
    with torch.no_grad():
        held_out = net(torch.from_numpy(x[n_train:])).numpy()[:, 0]
    description = meta(plan, version.version, output)
    env = environment()
    description["environment"] = env
    (out_dir / "meta.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
    return Trained(
        artifact=artifact,
        meta=description,
        metrics=_metrics(plan.task, held_out, y[n_train:]),
        code_hash=code_hash(),
        data_hash=sha256(x.tobytes() + y.tobytes()),
        config_hash=sha256(json.dumps(config, sort_keys=True).encode()),
        environment_hash=sha256(json.dumps(env, sort_keys=True).encode()),
    )


def output_name(plan: ModelPlan) -> str:
    """The artifact's output: `output` for Torch programs (the server's convention), else named."""
    if plan.runtime == "torch":
        return "output"
    return "score" if plan.task == "binary-classification" else "prediction"


def _network(plan: ModelPlan, x: np.ndarray, y: np.ndarray, hidden: int) -> Any:
    """An MLP with its input transform (log1p + standardisation) and output scale as buffers."""
    import torch
    from torch import nn

    k = len(plan.numeric)
    log_mask = np.array([f.log for f in plan.numeric], dtype=np.float32)
    numeric = x[:, :k]
    transformed = np.where(log_mask > 0, np.log1p(np.maximum(numeric, 0.0)), numeric)
    regression = plan.task == "regression"

    class DemoNet(nn.Module):
        """Raw encoded input → transform → MLP → probability (or minutes)."""

        log_mask: torch.Tensor
        mean: torch.Tensor
        std: torch.Tensor
        y_mean: torch.Tensor
        y_std: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("log_mask", torch.from_numpy(log_mask))
            self.register_buffer("mean", torch.from_numpy(transformed.mean(axis=0)))
            self.register_buffer("std", torch.from_numpy(transformed.std(axis=0) + 1e-6))
            self.register_buffer("y_mean", torch.tensor(float(y.mean()) if regression else 0.0))
            self.register_buffer("y_std", torch.tensor(float(y.std()) if regression else 1.0))
            self.body = nn.Sequential(
                nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
            )
            self.head = nn.Linear(hidden, 1)

        def logits(self, inputs: torch.Tensor) -> torch.Tensor:
            """The head's output before the final link."""
            num = inputs[:, :k]
            logged = torch.log1p(torch.clamp(num, min=0.0))
            num = (num * (1 - self.log_mask) + logged * self.log_mask - self.mean) / self.std
            return self.head(self.body(torch.cat([num, inputs[:, k:]], dim=1)))

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            """Probability of the positive class, or the prediction in target units."""
            out = self.logits(inputs)
            if regression:
                return out * self.y_std + self.y_mean
            return torch.sigmoid(out)

    return DemoNet()


def _fit(net: Any, x: np.ndarray, y: np.ndarray, task: str, lr: float, epochs: int) -> None:
    """Mini-batch Adam on BCE (classification) or MSE on the standardised target."""
    import torch

    inputs = torch.from_numpy(x)
    if task == "regression":
        targets = (torch.from_numpy(y) - net.y_mean) / net.y_std
        loss_fn: Any = torch.nn.MSELoss()
    else:
        targets = torch.from_numpy(y)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(inputs))
        for start in range(0, len(inputs), BATCH):
            batch = order[start : start + BATCH]
            optimiser.zero_grad()
            loss = loss_fn(net.logits(inputs[batch])[:, 0], targets[batch])
            loss.backward()
            optimiser.step()


def _export(net: Any, plan: ModelPlan, out_dir: Path, width: int, output: str) -> Path:
    """Write model.onnx (legacy exporter, offline) or a traced TorchScript model.pt."""
    import torch

    example = torch.zeros(2, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if plan.runtime == "torch":
            path = out_dir / "model.pt"
            with torch.no_grad():
                torch.jit.save(torch.jit.trace(net, example), str(path))
            return path
        path = out_dir / "model.onnx"
        torch.onnx.export(
            net,
            (example,),
            str(path),
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[output],
            dynamic_axes={INPUT_NAME: {0: "batch"}, output: {0: "batch"}},
            opset_version=17,
        )
    return path


def _metrics(task: str, predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Held-out quality: AUC and accuracy for classifiers, RMSE and MAE for the regressor."""
    if task == "regression":
        error = predicted - actual
        return {
            "rmse": round(float(np.sqrt(np.mean(error**2))), 4),
            "mae": round(float(np.mean(np.abs(error))), 4),
        }
    return {
        "auc": round(auc(actual, predicted), 4),
        "accuracy": round(float(np.mean((predicted >= 0.5) == (actual >= 0.5))), 4),
    }


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties averaged)."""
    ranks = pd.Series(scores).rank().to_numpy()
    positive = labels >= 0.5
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
