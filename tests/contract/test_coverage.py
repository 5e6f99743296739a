"""Every installed backend is in the contract suite, and claims only contracts it implements."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.capabilities import OPTIONAL, supports
from backends.discovery import available
from tests.contract.factories import FACTORIES, Factory, installed_factories


@pytest.mark.parametrize("entry_point", sorted(available()))
def test_every_installed_backend_has_a_test_factory(entry_point: str) -> None:
    covered = {factory.entry_point for factory in FACTORIES}
    assert entry_point in covered, (
        f"the vigil.backends entry point {entry_point!r} has no factory in "
        "tests/contract/factories.py, so no contract test runs against it"
    )


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.name)
def test_every_factory_names_an_installed_backend(factory: Factory) -> None:
    assert factory.entry_point in available(), f"{factory.name}: no such entry point installed"


@pytest.mark.parametrize("factory", installed_factories(), ids=lambda f: f.name)
def test_a_backend_offers_every_contract_it_claims(factory: Factory, tmp_path: Path) -> None:
    with factory.make(tmp_path) as made:
        missing = [c.__name__ for c in factory.contracts if not isinstance(made, c)]
        withheld = [
            c.__name__ for c in factory.contracts if c in OPTIONAL and not supports(made, c)
        ]
    assert missing == [], f"{factory.name} claims {missing} without their methods"
    assert withheld == [], f"{factory.name} claims {withheld} but does not offer them"
