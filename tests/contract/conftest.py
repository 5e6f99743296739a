"""The contract suite's fixture: a fresh backend per test from each installed backend's factory."""

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
    with factory.make(tmp_path) as made:
        yield made
