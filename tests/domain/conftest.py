from __future__ import annotations

from uuid import UUID

import pytest

from domain.application import Households
from tests.domain.support import POPO, register


@pytest.fixture
def app() -> Households:
    """The application service on the in-memory event store: no database."""
    return Households(env=POPO)


@pytest.fixture
def household(app: Households) -> UUID:
    """A household at the default intensity (licht), registered at the stories' start."""
    return register(app)
