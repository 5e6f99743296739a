"""The score and prediction of a model output, for histograms and the inference log.

Convention: the first output holds the score. Shape [batch, 2] gives the positive
class probability in column 1; [batch, k] for a multiclass model gives the argmax as
prediction and its probability as score; otherwise the first column is the score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def scores_of(output: np.ndarray) -> np.ndarray:
    """One score per batch row."""
    if output.ndim == 0:
        return output.reshape(1)
    flat = output.reshape(output.shape[0], -1)
    if flat.shape[1] == 2:
        return flat[:, 1]
    if flat.shape[1] > 2:
        return flat.max(axis=1)
    return flat[:, 0]


def predictions_of(output: np.ndarray, scores: np.ndarray, task: str) -> np.ndarray:
    """One prediction per batch row: class for classification, the score for regression."""
    if task == "regression":
        return scores
    if output.ndim >= 2 and output.reshape(output.shape[0], -1).shape[1] > 2:
        return output.reshape(output.shape[0], -1).argmax(axis=1)
    return (scores >= 0.5).astype("int64")
