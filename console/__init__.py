"""Vigil: a terminal operations console for on-call ML engineers."""

from __future__ import annotations

__version__ = "0.1.0"
