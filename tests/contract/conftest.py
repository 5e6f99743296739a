"""The contract suite's fixture: a fresh backend per test from each registered factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.factories import Factory


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Build the parametrised factory's backend on an empty directory, closing it after."""
    factory: Factory = request.param
    made = factory.make(tmp_path)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()
