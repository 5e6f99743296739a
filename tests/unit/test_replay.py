"""ReplaySource on a real embedded workspace: every role cut at the instant, split from history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backends.capabilities import supports
from backends.contracts import BackendError, SupportsTrafficSplit, TimelineEvent
from backends.embedded import EmbeddedBackend
from console.config import Context, embedded_context
from console.services.clock import InstantError, iso_minute, parse_replay_instant
from console.services.overview import build_overview
from console.services.replay import ReplayRefused, ReplaySource
from console.services.runbook_session import action_states
from tests.datasets.three_models import DATA_END, HISTORY
from tests.tui.workspace import build_workspace

CHANGED_AT = DATA_END - timedelta(hours=1)
CHANGED_TO = {"3": 50, "4": 50}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three models, then one recorded split change an hour before the data ends."""
    path = build_workspace(tmp_path_factory.mktemp("replay") / "ws")
    backend = EmbeddedBackend(path)
    try:
        backend.store_traffic("fraud-detector", CHANGED_TO, "test", at=CHANGED_AT)
    finally:
        backend.close()
    return path


@pytest.fixture
def context(workspace: Path) -> Context:
    return embedded_context(workspace, name="ws")


def test_the_split_comes_from_the_recorded_changes_not_the_stored_one(context: Context) -> None:
    stored = dict(context.serving.status("fraud-detector").weights)
    assert stored == CHANGED_TO
    before = ReplaySource(context, CHANGED_AT - timedelta(minutes=5)).serving
    assert dict(before.status("fraud-detector").weights) == {"3": 90, "4": 10}
    at_change = ReplaySource(context, CHANGED_AT).serving.status("fraud-detector")
    assert dict(at_change.weights) == CHANGED_TO and at_change.live is False


def test_the_overview_at_an_instant_shows_that_split_and_data_up_to_it(context: Context) -> None:
    at = CHANGED_AT - timedelta(minutes=30)
    overview = build_overview(ReplaySource(context, at))
    row = next(r for r in overview.rows if r.model == "fraud-detector")
    assert row.traffic.value == {"3": 90, "4": 10}
    assert row.canary.value is not None and row.canary.value.label == "v4 at 10 %"
    assert row.latest.value == at


def test_metrics_and_events_stop_at_the_instant(context: Context) -> None:
    at = DATA_END - HISTORY / 2
    replay = ReplaySource(context, at)
    series = replay.metrics.query_range(
        "requests_total", {"model": "fraud-detector"}, DATA_END - HISTORY, DATA_END
    )
    newest = max(max(s.timestamps) for s in series if len(s.timestamps))
    assert newest == at.timestamp()
    assert (
        replay.metrics.query_range("requests_total", {}, at + timedelta(minutes=1), DATA_END) == []
    )
    kinds = [e.at for e in replay.incidents.timeline_events(None, at - HISTORY, DATA_END)]
    assert all(moment <= at for moment in kinds)


def test_incidents_are_as_they_stood(context: Context) -> None:
    live = {i.title: i for i in context.incidents.incidents()}
    drift = live["old drift"]
    assert drift.closed_at is not None
    while_open = ReplaySource(context, drift.closed_at - timedelta(minutes=1)).incidents
    assert [i.title for i in while_open.incidents(open_only=True)] == ["old drift"]
    before = ReplaySource(context, drift.opened_at - timedelta(minutes=1)).incidents
    assert before.incidents() == []
    after = ReplaySource(context, DATA_END).incidents.incidents(open_only=True)
    assert [i.title for i in after] == ["p99 over SLO"]


def test_the_registry_hides_versions_registered_later(context: Context) -> None:
    v4 = next(v for v in context.registry.get_model("fraud-detector").versions if v.version == "4")
    earlier = ReplaySource(context, v4.created_at - timedelta(minutes=1)).registry
    assert [v.version for v in earlier.get_model("fraud-detector").versions] == ["3"]
    first = min(v.created_at for m in context.registry.list_models() for v in m.versions)
    with pytest.raises(BackendError, match="no version registered"):
        ReplaySource(context, first - timedelta(days=1)).registry.get_model("fraud-detector")


def test_a_replay_writes_nothing_and_its_actions_say_why(context: Context) -> None:
    replay = ReplaySource(context, DATA_END)
    assert replay.read_only
    assert not supports(replay.backend("serving"), SupportsTrafficSplit)
    event = TimelineEvent(at=DATA_END, kind="note", layer="model", summary="x", model="m")
    with pytest.raises(ReplayRefused, match="replay is read-only"):
        replay.incidents.add_event(event)
    states = action_states(replay)
    assert states["rollback"].offered
    assert states["rollback"].disabled.startswith(
        f"replay is read-only (as of {iso_minute(DATA_END)})"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-18T08:00Z", datetime(2026, 11, 18, 8, 0, tzinfo=UTC)),
        ("2026-11-18T08:00", datetime(2026, 11, 18, 8, 0, tzinfo=UTC)),
        ("2026-11-18T09:00+01:00", datetime(2026, 11, 18, 8, 0, tzinfo=UTC)),
        ("-2h", DATA_END - timedelta(hours=2)),
        ("-30m", DATA_END - timedelta(minutes=30)),
        ("+1d", DATA_END + timedelta(days=1)),
        ("now", None),
    ],
)
def test_instants_read_iso_relative_and_now(text: str, expected: datetime | None) -> None:
    assert parse_replay_instant(text, DATA_END) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "give an instant"), ("yesterday", "not an instant"), ("2999-01-01", "in the future")],
)
def test_bad_instants_say_why(text: str, message: str) -> None:
    with pytest.raises(InstantError, match=message):
        parse_replay_instant(text, DATA_END)
