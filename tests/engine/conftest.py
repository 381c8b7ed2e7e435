"""Every registered engine, for the tests that every engine must pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from featurehouse.engine.base import ENGINES, Engine, open_engine


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    opened = open_engine(f"{request.param}://")
    yield opened
    opened.close()
