"""Runbooks: the one safe way Vigil changes a live system."""

from __future__ import annotations
