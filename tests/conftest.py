"""Shared fixtures. PostgreSQL and Redis tests use the real servers on 127.0.0.1.

When a server is not reachable its tests are skipped with a loud banner, except under
CI (``CI`` set), where they fail: CI must run them. Tests that need an optional extra are
skipped where it is not installed (``tests/extras.py``: the core-only run of ``make
test-core``).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import featurehouse as fh
from tests.extras import NEEDS_EXTRA, installed, require_extra

POSTGRES_URL = os.environ.get(
    "FEATUREHOUSE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FEATUREHOUSE_TEST_REDIS", "redis://127.0.0.1:6379/0")
_missing: set[str] = set()
_left_out: list[str] = []


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out the test files and folders of NEEDS_EXTRA whose extra is not installed."""
    path = collection_path.relative_to(config.rootpath).as_posix()
    module, extra = NEEDS_EXTRA.get(path, ("", ""))
    if not module or installed(module):
        return None  # pytest's own rules decide
    _left_out.append(f'{path}: {module} is not installed (extra "featurehouse[{extra}]")')
    return True


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, port: int) -> None:
    if _reachable(port):
        return
    message = f"{name} is not reachable on 127.0.0.1:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the {name} tests")
    _missing.add(message)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _left_out:
        terminalreporter.section("tests of extras not installed, not collected")
        for line in _left_out:
            terminalreporter.line(line)
    if _missing:
        terminalreporter.section("SERVICES MISSING: TESTS NOT RUN", sep="!", red=True, bold=True)
        for message in sorted(_missing):
            terminalreporter.line(
                f"!!! {message}: its backend tests were SKIPPED", red=True, bold=True
            )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    psycopg = require_extra("psycopg", "postgres")
    require_server("PostgreSQL", 5432)

    name = f"fh_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL with a key prefix of its own; every key under it is deleted afterwards."""
    redis = require_extra("redis", "redis")
    require_server("Redis", 6379)

    prefix = f"fhtest:{uuid.uuid4().hex[:12]}:"
    yield f"{REDIS_URL}?prefix={prefix}"
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "project"


@pytest.fixture
def fs(home: Path) -> Iterator[fh.FeatureStore]:
    store = fh.connect(home)
    yield store
    store.close()


@pytest.fixture(scope="session")
def fraud_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``featurehouse demo --small`` run once: its project and what it printed (the demo
    tests and the fraud example's tests both look at it)."""
    for module in ("xgboost", "sklearn", "fastapi", "scipy", "httpx"):
        require_extra(module, "demo")
    from typer.testing import CliRunner

    from featurehouse.cli.main import app

    project = tmp_path_factory.mktemp("fraud-demo") / "demo"
    result = CliRunner().invoke(app, ["demo", "--small", "--project", str(project)])
    assert result.exit_code == 0, result.output
    return project, result.output
