"""The services on a real embedded workspace: overview rows, model detail, degraded roles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backends.memory import MemoryBackend
from console.config import Context, embedded_context
from console.services.clock import fixed_clock
from console.services.model_detail import build_model_detail
from console.services.overview import build_overview
from tests.datasets.three_models import DATA_END, NOW
from tests.tui.workspace import build_workspace


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return embedded_context(build_workspace(tmp_path_factory.mktemp("ws") / "w"))


@dataclass
class PartlyBroken:
    """A context whose `role` is a backend that is down (it answers BackendError)."""

    context: Context
    role: str

    def __getattr__(self, name: str) -> Any:
        if name != self.role:
            return getattr(self.context, name)
        down = MemoryBackend()
        down.fail(name, f"{name} down")
        return down


def test_overview_reads_every_model_from_the_workspace(context: Context) -> None:
    overview = build_overview(context, clock=fixed_clock(NOW))
    assert overview.models.value == ("churn-predictor", "eta-regressor", "fraud-detector")
    rows = {row.model: row for row in overview.rows}
    fraud = rows["fraud-detector"]
    assert fraud.traffic.value == {"3": 90, "4": 10}
    assert fraud.canary.value is not None and fraud.canary.value.label == "v4 at 10 %"
    assert fraud.latest.value == DATA_END
    assert fraud.error_rate.value is not None
    assert fraud.error_rate.value.requests == pytest.approx(5 * 100)
    assert fraud.error_rate.value.rate == pytest.approx(0.01)
    eta = rows["eta-regressor"]
    assert eta.p99.value is not None and eta.p99.value.value_ms == pytest.approx(96.0)
    assert eta.p99.value.summed_stages
    assert eta.incidents.value is not None and eta.incidents.value.label == "1 (P1)"
    assert rows["fraud-detector"].incidents.value is not None
    assert rows["fraud-detector"].incidents.value.count == 0
    assert all(reading.read_at == NOW for reading in fraud.readings().values())


def test_a_down_metric_store_degrades_only_the_metric_fields(context: Context) -> None:
    overview = build_overview(PartlyBroken(context, "metrics"), clock=fixed_clock(NOW))
    fraud = next(row for row in overview.rows if row.model == "fraud-detector")
    assert fraud.error_rate.error == "metrics down"
    assert fraud.p99.error == "metrics down"
    assert fraud.traffic.ok and fraud.incidents.ok


def test_a_down_registry_leaves_an_empty_overview_with_the_error(context: Context) -> None:
    overview = build_overview(PartlyBroken(context, "registry"), clock=fixed_clock(NOW))
    assert overview.rows == ()
    assert overview.models.error == "registry down"


def test_model_detail_has_versions_aliases_traffic_and_lineage(context: Context) -> None:
    detail = build_model_detail(context, "fraud-detector", clock=fixed_clock(NOW))
    model = detail.model.value
    assert model is not None
    assert [(v.version, v.aliases) for v in model.versions] == [
        ("3", ("champion",)),
        ("4", ("challenger",)),
    ]
    assert model.versions[0].lineage.code_hash.startswith("c0defraud-detector3")
    assert detail.traffic.value == {"3": 90, "4": 10}
    assert detail.incidents.value is not None
    assert [i.title for i in detail.incidents.value] == ["old drift"]
    assert detail.live.value is False


def test_model_detail_of_an_unknown_model_is_an_error_not_an_exception(context: Context) -> None:
    detail = build_model_detail(context, "nope", clock=fixed_clock(NOW))
    assert detail.model.value is None
    assert detail.model.error is not None and "nope" in detail.model.error


def test_an_end_to_end_latency_series_is_preferred_to_the_stage_sum(tmp_path: Path) -> None:
    import pandas as pd

    from backends.embedded import EmbeddedBackend

    workspace = build_workspace(tmp_path / "w")
    backend = EmbeddedBackend(workspace)
    labels = {"model": "fraud-detector", "version": "4", "quantile": "0.99"}
    minutes = [DATA_END.timestamp() - 60 * i for i in range(3)]
    backend.write_points(
        pd.DataFrame(
            {
                "name": "request_latency_ms",
                "labels": [labels] * 3,
                "ts": minutes,
                "value": [110.0, 120.0, 90.0],
            }
        )
    )
    backend.close()
    overview = build_overview(embedded_context(workspace), clock=fixed_clock(NOW))
    rows = {row.model: row for row in overview.rows}
    fraud = rows["fraud-detector"].p99.value
    assert fraud is not None
    assert (fraud.value_ms, fraud.version, fraud.summed_stages) == (120.0, "4", False)
    eta = rows["eta-regressor"].p99.value
    assert eta is not None and eta.summed_stages
