"""The model manager: start-up loading, failed versions, and changes that drain before returning."""

from __future__ import annotations

import asyncio

import pytest

from local_serving.examples import logistic_onnx
from local_serving.metrics.serving import ServingMetrics
from local_serving.models import AdminError, ModelManager
from local_serving.source import MemoryWorkspace, ModelEntry, VersionEntry


@pytest.fixture
def entry(tmp_path):
    one = logistic_onnx(tmp_path / "1" / "model.onnx", [1.0, 2.0], 0.0)
    two = logistic_onnx(tmp_path / "2" / "model.onnx", [2.0, 1.0], 0.0)
    broken = tmp_path / "3" / "model.onnx"
    broken.parent.mkdir()
    broken.write_bytes(b"not an onnx file")
    return ModelEntry(
        name="m",
        versions=(
            VersionEntry("1", "onnx", str(one), ("champion",)),
            VersionEntry("2", "onnx", str(two)),
            VersionEntry("3", "onnx", str(broken)),
        ),
        features=("a", "b"),
        weights={"1": 80, "3": 20},
    )


def _manager(entry, **options):
    manager = ModelManager(MemoryWorkspace([entry]), ServingMetrics({}), **options)
    manager.load_all()
    return manager


def test_a_broken_weighted_version_fails_and_its_weight_moves(entry):
    served = _manager(entry).models["m"]
    assert served.versions["3"].state == "failed"
    assert "cannot load ONNX model" in served.versions["3"].error
    assert dict(served.table.weights) == {"1": 100}
    assert "2" not in served.versions
    assert served.ready


def test_all_versions_loads_every_registered_one(entry):
    served = _manager(entry, all_versions=True).models["m"]
    assert {v: lv.state for v, lv in served.versions.items()} == {
        "1": "ready",
        "2": "ready",
        "3": "failed",
    }


async def test_a_weight_change_waits_for_requests_routed_by_the_old_table(entry):
    manager = _manager(entry, all_versions=True)
    served = manager.models["m"]
    old = served.table.generation
    loaded = served.versions["1"]
    served.enter(old, loaded)
    change = asyncio.create_task(manager.set_weights("m", {"1": 0, "2": 100}))
    await asyncio.sleep(0.05)
    assert served.table.versions == ("2",)
    assert not change.done()
    served.leave(old, loaded)
    assert await asyncio.wait_for(change, 2) == {"1": 0, "2": 100}


async def test_a_stuck_drain_is_reported_not_hung_and_changes_nothing(entry):
    manager = _manager(entry, all_versions=True, drain_timeout_s=0.05)
    served = manager.models["m"]
    before = dict(served.table.weights)
    served.enter(served.table.generation, served.versions["1"])
    with pytest.raises(AdminError, match="drain timeout") as caught:
        await manager.set_weights("m", {"2": 100})
    assert caught.value.status == 503
    assert dict(served.table.weights) == before and served.table.versions == ("1",)
    weights = {"1": 100, "2": 0, "3": 0}
    assert caught.value.fields == {"generation": served.table.generation, "weights": weights}
    gauge = manager.metrics.weight.gauge("m", "2")
    assert gauge.value == 0


async def test_a_change_against_a_stale_generation_is_a_409_and_changes_nothing(entry):
    manager = _manager(entry, all_versions=True)
    served = manager.models["m"]
    seen = served.table.generation
    await manager.set_weights("m", {"1": 50, "2": 50}, if_generation=seen)
    current = served.table
    with pytest.raises(AdminError, match=f"since generation {seen}") as caught:
        await manager.set_weights("m", {"2": 100}, if_generation=seen)
    assert caught.value.status == 409
    weights = {"1": 50, "2": 50, "3": 0}
    assert caught.value.fields == {"generation": current.generation, "weights": weights}
    assert served.table is current


async def test_unload_waits_for_the_versions_in_flight_requests(entry):
    manager = _manager(entry, all_versions=True)
    served = manager.models["m"]
    with pytest.raises(AdminError, match="still has 100% of traffic"):
        await manager.unload("m", "1")
    loaded = served.versions["2"]
    served.enter(served.table.generation, loaded)
    unload = asyncio.create_task(manager.unload("m", "2"))
    await asyncio.sleep(0.05)
    assert not unload.done() and "2" not in served.versions
    served.leave(served.table.generation, loaded)
    await asyncio.wait_for(unload, 2)


async def test_load_refuses_unknown_versions_and_reports_failures(entry):
    manager = _manager(entry)
    with pytest.raises(AdminError, match="no version '9'") as missing:
        await manager.load("m", "9")
    assert missing.value.status == 404
    with pytest.raises(AdminError, match="failed to load") as failed:
        await manager.load("m", "3")
    assert failed.value.status == 500
    loaded = await manager.load("m", "2")
    assert loaded.state == "ready" and manager.models["m"].table.weights.get("2", 0) == 0


def test_a_model_without_versions_is_not_served():
    manager = ModelManager(MemoryWorkspace([ModelEntry("empty", ())]), ServingMetrics({}))
    manager.load_all()
    assert manager.models == {}
