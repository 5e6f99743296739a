"""Write the fake backend's data into a real embedded workspace, through its write API."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd

from backends.embedded import EmbeddedBackend
from tests.tui.fakes import DATA_END, FakeBackend, make_backend


def build_workspace(path: Path, data: FakeBackend | None = None) -> Path:
    """An embedded workspace with the same models, traffic, metrics and incidents as the fake."""
    data = data or make_backend()
    backend = EmbeddedBackend(path)
    try:
        for model in data.models:
            backend.upsert_model(model.name, task=model.task, slo_p99_ms=model.slo_p99_ms)
            for version in model.versions:
                backend.register_version(replace(version, aliases=()), model_task=model.task)
            for version in model.versions:
                for alias in version.aliases:
                    backend.set_alias(model.name, alias, version.version)
            backend.store_traffic(model.name, data.weights[model.name], actor="test")
        start, end = DATA_END - timedelta(hours=4), DATA_END + timedelta(minutes=1)
        rows = []
        for model in data.models:
            labels = {"model": model.name}
            series = [
                *data.query_range("requests_total", labels, start, end),
                *data.query_range("errors_total", labels, start, end),
            ]
            for one in data.quantile_range("stage_latency_ms", 0.99, labels, start, end):
                series.append(replace(one, labels={**one.labels, "quantile": "0.99"}))
            for one in series:
                for ts, value in zip(one.timestamps, one.values, strict=True):
                    rows.append(
                        {"name": one.name, "labels": dict(one.labels), "ts": ts, "value": value}
                    )
        backend.write_points(pd.DataFrame(rows))
        for incident in sorted(data.incidents_list, key=lambda i: i.opened_at):
            opened = backend.open_incident(
                incident.model, incident.title, incident.severity, incident.opened_at
            )
            if incident.closed_at is not None:
                backend.close_incident(opened.incident_id, incident.closed_at)
    finally:
        backend.close()
    return path
