"""local_serving: an ONNX Runtime / Torch model server speaking KServe V2, with canary routing.

Run it with `vigil serve --workspace W` or `python -m local_serving --workspace W`.
"""

from __future__ import annotations

__version__ = "0.1.0"
