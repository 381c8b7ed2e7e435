"""The catalog under test: SQLite, and the PostgreSQL server on 127.0.0.1 (its own database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from featurehouse.catalog.base import Catalog, open_catalog


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path}/catalog.db"
    else:
        uri = request.getfixturevalue("postgres_url")
    opened = open_catalog(uri)
    yield opened
    opened.close()
