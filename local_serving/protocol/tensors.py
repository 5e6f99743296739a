"""A tensor as the V2 protocol names it: the shape of a model's inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TensorSpec:
    """A named tensor with its V2 datatype and shape (-1 for a dynamic dimension)."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def as_metadata(self) -> dict[str, object]:
        """The tensor as KServe V2 model metadata describes it."""
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}
