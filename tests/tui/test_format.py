"""Cell and status text: words and marks, so status never depends on colour."""

from __future__ import annotations

from datetime import timedelta

from console.services.metrics_window import P99, ErrorRate
from console.services.reading import Reading
from console.tui.format import cell, error_rate_text, p99_text, traffic_text
from console.tui.widgets.status_bar import summarize
from tests.datasets.three_models import DATA_END, NOW


def test_cell_marks_stale_and_missing_values() -> None:
    fresh = Reading(3, NOW, "metrics")
    assert cell(fresh, str, NOW + timedelta(seconds=10), 30) == "3"
    assert cell(fresh, str, NOW + timedelta(minutes=2), 30) == "~3"
    assert cell(Reading(3, NOW, "metrics", "down"), str, NOW, 30) == "~3"
    assert cell(Reading(None, NOW, "metrics", "down"), str, NOW, 30) == "✗ error"
    assert cell(Reading(None, NOW, "metrics"), str, NOW, 30) == "-"


def test_numbers_in_words() -> None:
    assert traffic_text({"4": 10, "3": 90}) == "v3:90 v4:10"
    assert traffic_text({}) == "-"
    assert error_rate_text(ErrorRate(DATA_END, DATA_END, 200, 3)) == "1.50 %"
    assert error_rate_text(ErrorRate(DATA_END, DATA_END, 0, 0)) == "-"
    assert p99_text(P99(DATA_END, DATA_END, 120.4, "4", True), 100) == "120/100 ▲ OVER"
    assert p99_text(P99(DATA_END, DATA_END, 99.6, "3", True), 100) == "100/100 ok"
    assert p99_text(P99(DATA_END, DATA_END, 42.0, "3", True), None) == "42 ms"


def test_summary_lists_problems_first_then_the_fine_sources() -> None:
    later = NOW + timedelta(minutes=7)
    readings = {
        "a": Reading(1, later, "registry"),
        "b": Reading(1, NOW, "metrics", "timed out after 10 s"),
        "c": Reading(1, NOW, "serving"),
    }
    assert summarize(readings, later, 30, "data to x") == (
        "✗ metrics: timed out after 10 s (stale for 7 min) · ~ serving: stale for 7 min"
        " · OK registry · data to x"
    )
