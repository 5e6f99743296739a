"""Stale Feast feature views on the merged timeline: the service, the screen and `vigil timeline`.

One context reads an embedded workspace holding the three models, with its
feature store on the real Feast servers of the session (merchant_stats has
been past its 2 h ttl since NOW - 3 h). A registry that is down leaves every
other event in place and says why the feature events are missing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backends.embedded import EmbeddedBackend
from console.cli import main
from console.config import Context, config_home, embedded_context, load_config
from console.services.analysis_window import resolve_analysis_window
from console.services.timeline_view import TimelineView, compute_timeline
from console.tui.app import VigilApp
from console.tui.screens.timeline import TimelineScreen
from console.tui.views import ViewArgs
from tests.datasets.fraud_shift import requests
from tests.datasets.three_models import DATA_END, write_three_models
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server, free_port
from tests.integration.backends.test_feast import MERCHANT, NOW, REFS
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.integration
MODEL = "fraud-detector"


def feast_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feast: Server, registry_url: str
) -> Context:
    """Context `mix`: the three models and a day of requests, features from Feast (on disk)."""
    options = {
        "type": "feast",
        "url": feast.url,
        "registry_url": registry_url,
        "features": {MODEL: [*REFS, MERCHANT]},
    }
    workspace = install_context(tmp_path, monkeypatch, "mix", {"features": options})
    backend = EmbeddedBackend(str(workspace))
    write_three_models(backend)
    backend.append(MODEL, requests(500, DATA_END - timedelta(days=1), DATA_END, 7, False))
    backend.close()
    context: Context = load_config(config_home() / "config.yaml")["contexts"]["mix"]
    return context


def timeline_of(context: Context) -> TimelineView:
    """The timeline screen's data for the model over its default window."""
    return compute_timeline(context, resolve_analysis_window(context, MODEL, "72h", "72h"))


def cli_timeline(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """`vigil --context mix timeline --json`: its document and its stderr."""
    capsys.readouterr()
    assert main(["--context", "mix", "timeline", "--model", MODEL, "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


async def timeline_screen(context: Context) -> tuple[list[tuple[str, str]], str]:
    """The timeline screen on `context`: its (kind, summary) rows and its text."""
    app = VigilApp(context, context_name="mix", live_ticks=False, refresh_s=3600)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.open_view("timeline", ViewArgs(model=MODEL))
        for _ in range(300):
            await settle(pilot)
            if isinstance(app.screen, TimelineScreen) and app.screen.view is not None:
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, TimelineScreen) and screen.view is not None, screen_text(app)
        return [(e.kind, e.summary) for e in screen.events_shown], screen_text(app)


async def test_a_view_past_its_ttl_is_a_data_event_on_the_timeline(
    feast_server: Server,
    feast_registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    context = feast_context(tmp_path, monkeypatch, feast_server, feast_registry.url)
    view = timeline_of(context)
    assert view.degraded == ()
    (stale,) = [e for e in view.timeline.events if e.kind == "feature_stale"]
    assert (stale.layer, stale.source, stale.signal) == ("data", "feast", True)
    assert stale.detail["feature_view"] == "merchant_stats"
    assert stale.at == NOW - timedelta(hours=3)  # materialised to NOW - 5 h, ttl 2 h

    document, _ = cli_timeline(capsys)
    assert [(e["kind"], e["layer"], e["summary"]) for e in document["events"]] == [
        (e.kind, e.layer, e.summary) for e in view.timeline.events
    ]

    rows, text = await timeline_screen(context)
    assert ("feature_stale", stale.summary) in rows
    assert "feature_stale" in text and "view merchant_stats stale" in text


async def test_a_down_feast_degrades_only_the_feature_events_with_the_reason(
    feast_server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # no registry listens there
    context = feast_context(tmp_path, monkeypatch, feast_server, down)
    plain = timeline_of(embedded_context(tmp_path / "workspace", name="plain"))
    assert plain.timeline.events  # the incidents of the three models

    view = timeline_of(context)
    ((role, reason),) = view.degraded
    assert role == "features" and f"feast registry {down}" in reason and "cannot reach" in reason
    assert [(e.kind, e.summary) for e in view.timeline.events] == [
        (e.kind, e.summary) for e in plain.timeline.events
    ]

    document, err = cli_timeline(capsys)
    assert "features unavailable, its events are missing: feast registry" in err
    assert len(document["events"]) == len(plain.timeline.events)

    rows, text = await timeline_screen(context)
    assert rows == [(e.kind, e.summary) for e in plain.timeline.events]
    assert "features unavailable, its events are missing" in text
