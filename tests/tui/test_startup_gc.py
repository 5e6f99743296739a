"""The GC is off while the console starts and on again once the first read has ended."""

from __future__ import annotations

import gc
import threading
from typing import Any

from console.tui.screens.overview import OverviewScreen
from tests.datasets.three_models import three_models
from tests.tui.helpers import make_app, settle


async def test_collection_resumes_after_the_first_read_and_on_exit(monkeypatch: Any) -> None:
    release = threading.Event()
    original = OverviewScreen.load

    def held(screen: OverviewScreen) -> Any:
        """The overview's read, kept waiting to look at the GC meanwhile."""
        release.wait(30)
        return original(screen)

    monkeypatch.setattr(OverviewScreen, "load", held)
    assert gc.isenabled()
    app = make_app(three_models())
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not gc.isenabled(), "the start-up collects while the first read imports"
        release.set()
        await settle(pilot)
        assert gc.isenabled(), "the GC stayed off after the first read"
        gc.disable()  # as if the start-up were still on: leaving turns it on again
    assert gc.isenabled()


async def test_a_failed_first_read_turns_collection_on_too(monkeypatch: Any) -> None:
    def failing(screen: OverviewScreen) -> Any:
        raise RuntimeError("the registry exploded")

    monkeypatch.setattr(OverviewScreen, "load", failing)
    app = make_app(three_models())
    async with app.run_test() as pilot:
        await pilot.pause()
        for _ in range(100):
            if gc.isenabled():
                break
            await pilot.pause(0.02)
        assert gc.isenabled()
    gc.enable()
