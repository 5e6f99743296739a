"""Score feature rows with an exported artifact, as a server would: ONNX Runtime or TorchScript."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from console.demo.catalog import ModelPlan
from console.demo.encoding import INPUT_NAME, encode

CHUNK = 200_000


def score(plan: ModelPlan, artifact: Path, frame: pd.DataFrame) -> np.ndarray:
    """The artifact's output for every row of `frame` (float64), computed in chunks."""
    x = encode(plan, frame)
    if artifact.suffix == ".onnx":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(
            str(artifact), sess_options=options, providers=["CPUExecutionProvider"]
        )
        parts = [
            session.run(None, {INPUT_NAME: x[i : i + CHUNK]})[0][:, 0]
            for i in range(0, len(x), CHUNK)
        ]
    else:
        import torch

        torch.set_num_threads(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(artifact))
        with torch.no_grad():
            parts = [
                module(torch.from_numpy(x[i : i + CHUNK])).numpy()[:, 0]
                for i in range(0, len(x), CHUNK)
            ]
    if not parts:
        return np.empty(0)
    return np.concatenate(parts).astype(np.float64)
