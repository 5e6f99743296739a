"""The input encoding of the demo models, described in each version's meta.json.

A model takes one float32 matrix named `input`: the raw numeric features in
order, then one-hot columns `feature=category` for each categorical feature.
Log transforms and standardisation live inside the model, so a server only
has to follow `feature_order`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from console.demo.catalog import ModelPlan

INPUT_NAME = "input"


def feature_order(plan: ModelPlan) -> list[str]:
    """The encoded column names: numeric features, then `feature=category` one-hots."""
    order = [f.name for f in plan.numeric]
    for spec in plan.categorical:
        order.extend(f"{spec.name}={category}" for category in spec.categories)
    return order


def encode(plan: ModelPlan, frame: pd.DataFrame) -> np.ndarray:
    """Raw feature rows as the float32 input matrix (unknown categories encode as all zeros)."""
    numeric = frame[[f.name for f in plan.numeric]].to_numpy(dtype=np.float32)
    blocks = [numeric]
    for spec in plan.categorical:
        codes = category_codes(frame[spec.name], spec.categories)
        blocks.append((codes[:, None] == np.arange(len(spec.categories))).astype(np.float32))
    return np.ascontiguousarray(np.concatenate(blocks, axis=1))


def category_codes(column: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """The index of each value in `categories`, -1 when unknown (fast for categoricals)."""
    lookup = pd.CategoricalDtype(list(categories))
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.set_categories(list(categories)).cat.codes)
    return np.asarray(column.astype(lookup).cat.codes)


def meta(plan: ModelPlan, version: str, output: str) -> dict[str, Any]:
    """The meta.json of one version: how to build its input and read its output."""
    return {
        "model": plan.name,
        "version": version,
        "task": plan.task,
        "runtime": plan.runtime,
        "input": INPUT_NAME,
        "input_dtype": "float32",
        "outputs": [output],
        "features": plan.feature_names,
        "numeric": [f.name for f in plan.numeric],
        "categorical": {spec.name: list(spec.categories) for spec in plan.categorical},
        "feature_order": feature_order(plan),
        "threshold": 0.5 if plan.task == "binary-classification" else None,
    }
