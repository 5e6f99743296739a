"""`read` stamps values, turns exceptions and hangs into errors; staleness words."""

from __future__ import annotations

import threading
from datetime import timedelta

from backends.contracts import BackendError
from console.services.canary import canary_state
from console.services.clock import fixed_clock
from console.services.reading import Reading, format_age, read, staleness
from tests.datasets.three_models import NOW


def test_read_stamps_a_value_with_the_clock_and_source() -> None:
    reading = read(lambda: 42, source="metrics", clock=fixed_clock(NOW))
    assert (reading.value, reading.read_at, reading.source, reading.ok) == (
        42,
        NOW,
        "metrics",
        True,
    )


def test_read_turns_a_backend_error_into_an_error_reading() -> None:
    def down() -> int:
        raise BackendError("connection refused\nsecond line")

    reading = read(down, source="serving", clock=fixed_clock(NOW))
    assert reading.value is None
    assert reading.error == "connection refused"


def test_read_gives_up_after_the_timeout() -> None:
    release = threading.Event()
    reading = read(lambda: release.wait(5), source="registry", timeout_s=0.05)
    release.set()
    assert reading.error == "timed out after 0.05 s"
    assert reading.elapsed_s < 1.0


def test_keep_last_good_keeps_the_old_value_and_stamp_with_the_new_error() -> None:
    good = Reading(1.5, NOW, "metrics")
    failed: Reading[float] = Reading(None, NOW + timedelta(minutes=7), "metrics", "down")
    kept = failed.keep_last_good(good)
    assert (kept.value, kept.read_at, kept.error) == (1.5, NOW, "down")
    assert staleness(kept, NOW + timedelta(minutes=7), 30) == "stale for 7 min"
    assert failed.keep_last_good(None) is failed


def test_staleness_words() -> None:
    reading = Reading(1, NOW, "metrics")
    assert staleness(reading, NOW + timedelta(seconds=10), 30) == "fresh"
    assert staleness(reading, NOW + timedelta(hours=5), 30) == "stale for 5 h"
    assert staleness(Reading(None, NOW, "x", "down"), NOW, 30) == "no data"
    assert [format_age(s) for s in (5, 420, 7200, 3 * 86400)] == ["5 s", "7 min", "2 h", "3 d"]


def test_canary_is_a_non_champion_version_with_a_partial_weight() -> None:
    assert canary_state({"3": 90, "4": 10}, {"champion": "3"}).label == "v4 at 10 %"
    assert canary_state({"3": 100}, {"champion": "3"}).label == "none"
    assert canary_state({"3": 0, "4": 100}, {"champion": "3"}).canary is None
    without_alias = canary_state({"1": 70, "2": 30}, {})
    assert (without_alias.champion, without_alias.canary) == ("1", "2")
