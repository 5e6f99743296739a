"""Backends: the contracts Vigil reads and acts through, and their implementations."""

from __future__ import annotations
