"""The KServe V2 (Open Inference Protocol) wire format: datatypes, requests, responses."""

from __future__ import annotations
