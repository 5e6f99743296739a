"""Prometheus metrics without a client library: counters, gauges, histograms, exposition."""

from __future__ import annotations
