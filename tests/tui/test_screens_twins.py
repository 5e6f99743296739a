"""Every number on the slices, latency, timeline and correlation screens is the CLI twin's.

The screens' services name the headless command that prints the same numbers
(`vigil slices ... --json`); each test runs that very command on the demo
workspace and compares its document with what the service computed.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.cli.common import to_jsonable
from console.config import Context, embedded_context
from console.services.analysis_window import resolve_analysis_window
from console.services.correlation_view import compute_correlation
from console.services.latency_view import compute_latency, what_if
from console.services.slices_view import (
    SliceMetricChoice,
    compute_slices,
    previous_window,
    slice_requests,
)
from console.services.timeline_view import TIMELINE_WINDOW, compute_timeline


def test_the_screens_default_windows_are_the_clis() -> None:
    from console.cli import timeline
    from console.tui.screens.correlation import CorrelationScreen
    from console.tui.screens.latency import LatencyScreen
    from console.tui.screens.slices import SlicesScreen
    from console.tui.screens.timeline import TimelineScreen

    assert TimelineScreen.DEFAULT_WINDOW == CorrelationScreen.DEFAULT_WINDOW
    assert TimelineScreen.DEFAULT_WINDOW == timeline.DEFAULT_WINDOW == TIMELINE_WINDOW
    assert LatencyScreen.DEFAULT_WINDOW == "1h" and SlicesScreen.DEFAULT_WINDOW == "24h"


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> Context:
    return embedded_context(demo_workspace, name="demo", read_only=True)


def run_twin(command: str, workspace: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the `vigil ... --json` command a screen names, on the workspace; its document."""
    words = shlex.split(command)
    assert words[0] == "vigil"
    capsys.readouterr()
    assert main(["--workspace", str(workspace), *words[1:]]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "choice",
    [
        SliceMetricChoice("accuracy"),
        SliceMetricChoice("error_rate"),
        SliceMetricChoice("mean_score"),
        SliceMetricChoice("latency", "feature_fetch_ms"),
    ],
    ids=lambda choice: choice.label,
)
def test_slices_equal_vigil_slices_json(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str], choice: Any
) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", "24h", "24h")
    view = compute_slices(demo, window, choice)
    document = run_twin(view.twin, demo_workspace, capsys)
    assert document == to_jsonable(view.table.to_dict() | {"source": window.source()})
    assert document["n"] > 0


def test_slices_against_the_previous_window_equal_the_cli_with_baseline_window(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", "24h", "24h")
    view = compute_slices(demo, window, SliceMetricChoice("accuracy"), previous_window(window))
    document = run_twin(view.twin, demo_workspace, capsys)
    assert "--baseline-window" in view.twin
    document.pop("source")
    assert document == to_jsonable(view.table.to_dict())
    assert view.table.slices[0].name == "device_type == tablet"


def test_an_explicit_range_is_the_clis_start_and_end(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = resolve_analysis_window(
        demo, "fraud-detector", "2026-11-19T00:00Z..2026-11-19T12:00Z", "24h"
    )
    view = compute_slices(demo, window, SliceMetricChoice("accuracy"))
    assert "--start 2026-11-19T00:00Z --end 2026-11-19T12:00Z" in view.twin
    document = run_twin(view.twin, demo_workspace, capsys)
    assert document["n"] == view.table.n and document["source"] == window.source()


def test_the_requests_of_a_slice_are_its_rows_of_the_log(demo: Context) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", "24h", "24h")
    view = compute_slices(demo, window, SliceMetricChoice("accuracy"))
    tablet = next(s for s in view.table.slices if s.name == "device_type == tablet")
    requests = slice_requests(demo, window, tablet.predicates)
    assert set(requests["device_type"].astype(str)) == {"tablet"}
    assert int(requests["label"].notna().sum()) == tablet.support
    assert list(requests.columns[:3]) == ["ts", "request_id", "version"]


def test_latency_equals_vigil_latency_json(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", "24h", "1h")
    view = compute_latency(demo, window)
    document = run_twin(view.twin, demo_workspace, capsys)
    assert document == to_jsonable(view.budget.to_dict() | {"source": window.source()})
    assert document["stage_over_budget"] == "feature_fetch"
    cli_whatif = next(w for w in document["whatifs"] if w["stage"] == "feature_fetch")
    answer = what_if(view.budget, "feature_fetch", 2.0)
    assert answer.end_to_end == pytest.approx(cli_whatif["end_to_end"], rel=0, abs=0)


def test_timeline_equals_vigil_timeline_json(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", None, TIMELINE_WINDOW)
    view = compute_timeline(demo, window)
    document = run_twin(view.twin, demo_workspace, capsys)
    expected = view.timeline.to_dict() | {
        "model": "fraud-detector",
        "start": window.start,
        "end": window.end,
    }
    assert document == to_jsonable(expected)


def test_every_correlation_pair_equals_vigil_timeline_correlate(
    demo: Context, demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = resolve_analysis_window(demo, "fraud-detector", None, TIMELINE_WINDOW)
    view = compute_correlation(demo, window)
    assert {pair.model_metric for pair in view.pairs} >= {"mean score of fraud-detector"}
    score_pair = next(p for p in view.pairs if p.against is None)
    for pair in (view.pairs[0], score_pair):
        document = run_twin(pair.twin, demo_workspace, capsys)
        assert document["correlation"] == to_jsonable(pair.result.to_dict())
