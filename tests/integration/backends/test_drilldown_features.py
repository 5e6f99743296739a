"""The requests drill-down shows the selected request's online features from a real `feast serve`.

The context mixes an embedded log (a day of fraud-detector requests, each
with an `account_id`: accounts 1..6 in turn within each device type) with
the session's Feast servers, where accounts 1..5 hold amount_mean 10 * i and
txn_count i and account 6 holds nothing. A feature server that is down
degrades the panel alone; a context whose feature store serves no online
features does not offer the key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot

from backends.embedded import EmbeddedBackend
from console.config import Context, config_home, embedded_context, load_config
from console.services.online_features import entity_features
from console.tui.app import VigilApp
from console.tui.screens.slices_requests import SliceRequestsScreen
from console.tui.views import ViewArgs
from console.tui.widgets.virtual_table import VirtualTable
from tests.datasets.fraud_shift import FEATURES, requests
from tests.datasets.three_models import DATA_END, SLO_P99_MS, write_three_models
from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server, free_port
from tests.integration.backends.test_feast import REFS
from tests.tui.helpers import screen_text, settle

pytestmark = pytest.mark.integration
MODEL = "fraud-detector"
ACCOUNTS = 6


def context_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, features: Any) -> Context:
    """Context `mix`: the three models, a day of requests with account ids, and `features`."""
    workspace = install_context(tmp_path, monkeypatch, "mix", {"features": features})
    backend = EmbeddedBackend(str(workspace))
    write_three_models(backend)
    backend.upsert_model(MODEL, slo_p99_ms=SLO_P99_MS[MODEL], features=FEATURES)  # slice columns
    rows = requests(4000, DATA_END - timedelta(days=1), DATA_END, 7, True)  # tablets go wrong
    # within each device's rows (a slice), consecutive requests cycle through the accounts
    rows["account_id"] = rows.groupby("device_type").cumcount() % ACCOUNTS + 1
    backend.append(MODEL, rows)
    backend.close()
    context: Context = load_config(config_home() / "config.yaml")["contexts"]["mix"]
    return context


async def until(pilot: Pilot[Any], done: Any, what: str) -> None:
    """Poll the app until `done()` holds, with a deadline (a loaded machine is slow, not wrong)."""
    for _ in range(600):
        await settle(pilot)
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never {what}:\n{screen_text(cast(VigilApp, pilot.app))}")


async def open_requests(pilot: Pilot[Any]) -> SliceRequestsScreen:
    """The slices screen over 24 h, then the first slice's (device_type=tablet) requests."""
    app: Any = pilot.app
    await settle(pilot)
    app.open_view("slices", ViewArgs(model=MODEL, window="24h"))
    await until(pilot, lambda: getattr(app.screen, "loaded_at", None) is not None, "sliced")
    await pilot.press("enter")
    await until(
        pilot,
        lambda: isinstance(app.screen, SliceRequestsScreen) and app.screen.frame is not None,
        "listed the requests",
    )
    screen = app.screen
    assert isinstance(screen, SliceRequestsScreen)
    assert [p.column for p in screen.slice.predicates] == ["device_type"]
    return screen


def panel_text(screen: SliceRequestsScreen) -> str:
    """What the online-features panel shows."""
    return str(screen.query_one("#online-features").render())


def answered(screen: SliceRequestsScreen, account: int) -> Callable[[], bool]:
    """Whether the panel holds the store's answer for `account`."""
    return lambda: f"account_id={account} " in panel_text(screen)


def selected_account(screen: SliceRequestsScreen) -> int:
    """The account id of the request under the cursor."""
    row = screen.selected_row()
    assert row is not None
    return int(row["account_id"])


async def test_f_shows_the_selected_requests_online_features(
    feast_server: Server,
    feast_registry: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = {
        "type": "feast",
        "url": feast_server.url,
        "registry_url": feast_registry.url,  # the join key comes from account_stats' entity
        "features": {MODEL: REFS},
    }
    context = context_with(tmp_path, monkeypatch, options)
    app = VigilApp(context, context_name="mix", live_ticks=False, refresh_s=3600)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_requests(pilot)
        assert "f: online features" in screen_text(app)
        seen: dict[int, str] = {}
        for _ in range(ACCOUNTS):
            account = selected_account(screen)
            await pilot.press("f")
            await until(pilot, answered(screen, account), f"showed account {account}")
            seen[account] = panel_text(screen)
            await pilot.press("j")
        assert set(seen) == set(range(1, ACCOUNTS + 1))  # six rows in a row: every account
        for account in range(1, ACCOUNTS):
            assert f"amount_mean {10.0 * account:.4g}" in seen[account], seen[account]
            assert f"txn_count {account}" in seen[account], seen[account]
        assert "amount_mean absent" in seen[ACCOUNTS] and "txn_count absent" in seen[ACCOUNTS]
        assert "✗" not in "".join(seen.values())
        table = screen.query_one("#requests-table", VirtualTable)
        assert table.cursor_row == ACCOUNTS
        store = screen.online_store()
        assert store is not None
        lacking = entity_features(store, MODEL, {"request_id": "r1"})  # a log without the key
        assert lacking.values == {} and "no account_id" in lacking.error


async def test_a_down_feature_server_degrades_the_panel_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # no feature server listens there
    options = {
        "type": "feast",
        "url": down,
        "entities": {"account_id": [1]},
        "features": {MODEL: REFS},
        "timeout_s": 2,
    }
    context = context_with(tmp_path, monkeypatch, options)
    app = VigilApp(context, context_name="mix", live_ticks=False, refresh_s=3600)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_requests(pilot)
        table = screen.query_one("#requests-table", VirtualTable)
        rows = table.row_count
        account = selected_account(screen)
        await pilot.press("f")
        await until(pilot, lambda: "✗" in panel_text(screen), "said the store is down")
        text = panel_text(screen)
        assert f"account_id={account}" in text
        assert f"feast {down}" in text and "cannot reach" in text, text
        assert "cannot reach" not in str(screen.query_one("#requests-detail").render())
        await pilot.press("j")  # the table goes on
        assert table.cursor_row == 1 and table.row_count == rows
        assert app.is_running

    plain = embedded_context(tmp_path / "workspace", name="plain")  # its store serves no online
    app = VigilApp(plain, context_name="plain", live_ticks=False, refresh_s=3600)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_requests(pilot)
        assert screen.check_action("online_features", ()) is False
        assert "f: online features" not in screen_text(app)
        await pilot.press("f")
        await settle(pilot)
        assert "open" not in screen.query_one("#online-features").classes
