"""The analysis core: drift, slices, latency budget, timeline, correlation, retraining.

Pure numpy / pandas / scipy (scipy imported lazily), no Textual and no
backend implementation (only the contracts' types, for the seams): the CLI,
the TUI, the runbook engine and the benchmarks all call these functions.
Results are frozen dataclasses with a `to_dict()` for JSON.
"""

from __future__ import annotations
