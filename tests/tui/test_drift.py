"""The drift screens on an embedded demo workspace: the planted tablet shift, keys, CLI parity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.cli.common import to_jsonable
from console.config import Context, embedded_context
from console.demo.build import build
from console.demo.spec import DemoSpec
from console.tui.screens.drift import DriftScreen, number
from console.tui.screens.drift_distribution import DistributionScreen
from console.tui.screens.drift_where import WhereScreen
from console.tui.screens.model import ModelScreen
from console.tui.widgets.status_bar import StatusBar
from console.tui.widgets.table import VigilTable
from tests.tui.helpers import make_app, screen_text, settle

TABLET = "device_type=tablet"
SMALL_DEMO = DemoSpec(
    fraud_rows=200_000, other_rows=5_000, train_rows=5_000, reference_rows=5_000, epochs=1
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace (the planted incident included) at a size a test can build."""
    path = tmp_path_factory.mktemp("drift-demo") / "demo"
    build(path, SMALL_DEMO, quiet=True)
    return path


@pytest.fixture
def context(demo: Path) -> Context:
    return embedded_context(demo, name="demo")


def cli_drift(demo: Path, *options: str) -> dict[str, Any]:
    """What `vigil drift --json` prints for the same request."""
    vigil = Path(sys.executable).with_name("vigil")
    command = [str(vigil), "--workspace", str(demo), "drift", "--model", "fraud-detector"]
    done = subprocess.run(
        [*command, *options, "--json"], capture_output=True, text=True, timeout=120, check=True
    )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def table_rows(app: Any, selector: str) -> list[list[str]]:
    """Every row of a table, cells stripped."""
    table = app.screen.query_one(selector, VigilTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


async def wait_for(pilot: Any, screen_type: type, attribute: str = "result") -> Any:
    """Settle until the visible screen is `screen_type` and has its result."""
    for _ in range(100):
        await settle(pilot)
        screen = pilot.app.screen
        ready = isinstance(screen, screen_type) and getattr(screen, attribute, None) is not None
        ready = ready and getattr(screen, "loaded_at", None) is not None
        if ready and (not isinstance(screen, DriftScreen) or screen.history):
            return screen
        await pilot.pause(0.05)
    raise AssertionError(f"{screen_type.__name__} never showed its result")


def expected_cells(feature: dict[str, Any]) -> list[str]:
    """A drift row as the screen prints it (80 columns), from the CLI's JSON."""
    test = feature["ks"] if feature["kind"] == "numeric" else feature["chi2"]
    kind = "num" if feature["kind"] == "numeric" else "cat"
    return [
        feature["feature"],
        kind,
        number(feature["psi"]),
        feature["status"],
        number(test),
        number(feature["js"]),
    ]


async def test_inside_the_tablet_slice_amount_is_act_and_every_number_is_the_clis(
    demo: Path, context: Context
) -> None:
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *f"drift fraud-detector 24h {TABLET}", "enter")
        screen = await wait_for(pilot, DriftScreen)
        shown = table_rows(app, "#drift-table")
        expected = cli_drift(demo, "--window", "24h", "--slice", TABLET)
        assert [row[:6] for row in shown] == [expected_cells(f) for f in expected["features"]]
        assert shown[0][:4] == ["amount", "num", shown[0][2], "act"]
        assert expected["features"][0]["feature"] == "amount"
        shown_table = json.loads(json.dumps(to_jsonable(screen.result.table.to_dict())))
        assert shown_table == {key: value for key, value in expected.items() if key != "source"}
        text = screen_text(app)
        assert f"n ref {expected['n_reference']:,} · n cur {expected['n_current']:,}" in text
        assert f"slice {TABLET}" in text
        assert f"= vigil drift --model fraud-detector --window 24h --slice {TABLET}" in text
        overall = cli_drift(demo, "--window", "24h")
        amount = next(f for f in overall["features"] if f["feature"] == "amount")
        assert amount["status"] == "stable"


async def test_from_the_model_screen_d_opens_drift_and_the_keys_change_the_question(
    demo: Path, context: Context
) -> None:
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"model fraud-detector", "enter")
        await wait_for(pilot, ModelScreen, "detail")
        await pilot.press("d")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.request.window == "24h" and screen.request.predicates == ()
        await pilot.press("2")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.result.request.window == "6h"
        six = cli_drift(demo, "--window", "6h")
        assert [r[:6] for r in table_rows(app, "#drift-table")] == [
            expected_cells(f) for f in six["features"]
        ]
        await pilot.press("m")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.result.table.mode == "evidently"
        evidently = cli_drift(demo, "--window", "6h", "--mode", "evidently")
        assert [r[2] for r in table_rows(app, "#drift-table")] == [
            number(f["psi"]) for f in evidently["features"]
        ]
        await pilot.press("m", "b")
        screen = await wait_for(pilot, DriftScreen)
        assert "vs previous window" in screen_text(app)
        earlier = screen.request.reference_window(screen.result.start, screen.result.end)
        span = f"{earlier[0].isoformat()}/{earlier[1].isoformat()}"
        previous = cli_drift(demo, "--window", "6h", "--reference-window", span)
        assert [r[2] for r in table_rows(app, "#drift-table")] == [
            number(f["psi"]) for f in previous["features"]
        ]


async def test_a_typed_slice_recomputes_and_a_bad_one_is_said(context: Context) -> None:
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"drift fraud-detector", "enter")
        await wait_for(pilot, DriftScreen)
        await pilot.press("e", *"nonsense", "enter")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages[-1] == "'nonsense': give COL=VALUE (e.g. device_type=tablet)"
        assert app.screen.request.predicates == ()  # type: ignore[attr-defined]
        await pilot.press("ctrl+u", *"nosuch=1", "enter")
        await settle(pilot)
        status = str(app.screen.query_one(StatusBar).render())
        assert status.startswith("✗ ") and "nosuch" in status
        assert "nosuch" in table_rows(app, "#drift-table")[0][0]
        await pilot.press("e", "ctrl+u", *TABLET, "enter")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.result.request.predicates == (("device_type", "tablet"),)
        assert table_rows(app, "#drift-table")[0][3] == "act"
        assert app.is_running


async def test_enter_opens_the_distribution_with_the_tables_bins(
    demo: Path, context: Context
) -> None:
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *f"drift fraud-detector 24h {TABLET}", "enter")
        await wait_for(pilot, DriftScreen)
        await pilot.press("enter")
        screen = await wait_for(pilot, DistributionScreen, "distribution")
        assert screen.feature == "amount"
        expected = cli_drift(demo, "--window", "24h", "--slice", TABLET)["features"][0]
        rows = table_rows(app, "#bins")
        assert [row[4] for row in rows] == [number(term) for term in expected["terms"]]
        assert [row[1] for row in rows] == expected["labels"]
        distribution = screen.distribution
        assert sum(distribution.current) == pytest.approx(1.0)
        assert sum(distribution.reference) == pytest.approx(1.0)
        assert "█ reference  ▒ current" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DriftScreen)


async def test_where_does_it_drift_finds_the_tablet_segment_and_opens_drift_inside_it(
    demo: Path, context: Context
) -> None:
    app = make_app(context, refresh_s=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"drift fraud-detector", "enter")
        await wait_for(pilot, DriftScreen)
        await pilot.press("x")
        await wait_for(pilot, WhereScreen)
        top = table_rows(app, "#segments")[0]
        assert top[:2] == ["device_type=tablet", "amount"] and top[3] == "act"
        pairs = cli_drift(demo, "--window", "24h", "--by-segment", "--top", "50")["pairs"]
        assert [row[2] for row in table_rows(app, "#segments")] == [
            number(pair["psi"]) for pair in pairs
        ]
        await pilot.press("enter")
        screen = await wait_for(pilot, DriftScreen)
        assert screen.request.predicates == (("device_type", "tablet"),)
        assert table_rows(app, "#drift-table")[0][0] == "amount"


def test_drift_snapshot_80x24(
    snap_compare: Any, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("console.services.drift.perf_counter", lambda: 0.0)

    async def open_drift(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("colon", *f"drift fraud-detector 24h {TABLET}", "enter")
        await wait_for(pilot, DriftScreen)

    app = make_app(context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_drift)


def test_drift_snapshot_no_color(
    snap_compare: Any, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("console.services.drift.perf_counter", lambda: 0.0)

    async def open_drift(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("colon", *f"drift fraud-detector 24h {TABLET}", "enter")
        await wait_for(pilot, DriftScreen)

    app = make_app(context, refresh_s=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_drift)
