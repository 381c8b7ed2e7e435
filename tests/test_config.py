"""Settings precedence: arguments, then FEATUREHOUSE_* variables, then featurehouse.toml, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurehouse.config import Settings
from featurehouse.errors import SchemaError


def test_defaults_are_embedded_under_home(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path)
    assert settings.catalog == f"sqlite:///{tmp_path / 'catalog.db'}"
    assert settings.online == f"sqlite:///{tmp_path / 'online.db'}"
    assert settings.offline == str(tmp_path / "offline")


def test_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREHOUSE_HOME", str(tmp_path / "elsewhere"))
    assert Settings.load().home == tmp_path / "elsewhere"


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "featurehouse.toml").write_text(
        '[featurehouse]\nonline = "redis://toml"\ncatalog = "sqlite:///toml.db"\n'
        'duckdb_memory_limit = "1GB"\n'
    )
    monkeypatch.setenv("FEATUREHOUSE_ONLINE", "redis://env")
    monkeypatch.setenv("FEATUREHOUSE_CATALOG", "sqlite:///env.db")
    settings = Settings.load(tmp_path, catalog="sqlite:///arg.db")
    assert settings.catalog == "sqlite:///arg.db"
    assert settings.online == "redis://env"
    assert settings.duckdb_memory_limit == "1GB"


def test_commit_statistics_is_a_flag_from_toml_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings.load(tmp_path).commit_statistics is True
    (tmp_path / "featurehouse.toml").write_text("[featurehouse]\ncommit_statistics = false\n")
    assert Settings.load(tmp_path).commit_statistics is False
    monkeypatch.setenv("FEATUREHOUSE_COMMIT_STATISTICS", "Yes")
    assert Settings.load(tmp_path).commit_statistics is True
    monkeypatch.setenv("FEATUREHOUSE_COMMIT_STATISTICS", "sometimes")
    with pytest.raises(SchemaError, match="commit_statistics: expected true or false"):
        Settings.load(tmp_path)


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "featurehouse.toml").write_text('[featurehouse]\nonlne = "typo"\n')
    with pytest.raises(SchemaError, match="onlne"):
        Settings.load(tmp_path)


def test_unknown_backend_scheme_suggests_the_closest() -> None:
    from featurehouse.catalog.base import open_catalog
    from featurehouse.errors import InvalidNameError
    from featurehouse.online.base import open_online_store

    with pytest.raises(InvalidNameError, match="did you mean 'redis'"):
        open_online_store("reddis://127.0.0.1:6379/0")
    with pytest.raises(InvalidNameError, match="did you mean 'postgresql'"):
        open_catalog("postgresq://user:secret@host/db")
    with pytest.raises(InvalidNameError) as info:
        open_catalog("mysql://user:secret@host/db")
    assert "secret" not in str(info.value)


def test_the_engine_setting_chooses_the_engine_by_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from featurehouse.core.services import Services
    from featurehouse.engine.base import ENGINES, open_engine
    from featurehouse.errors import InvalidNameError

    assert Settings.load(tmp_path).engine == "duckdb://"
    (tmp_path / "featurehouse.toml").write_text('[featurehouse]\nengine = "duckdb://"\n')
    services = Services(Settings.load(tmp_path))
    assert type(services.engine).__name__ == "DuckDBEngine"
    services.close()
    monkeypatch.setenv("FEATUREHOUSE_ENGINE", "duckbd://")
    services = Services(Settings.load(tmp_path))
    with pytest.raises(InvalidNameError) as info:
        services.engine  # noqa: B018 - opening it is the point
    message = str(info.value)
    assert message.startswith("setting engine (FEATUREHOUSE_ENGINE): unknown engine URI scheme")
    assert f"expected one of {sorted(ENGINES)}" in message and "did you mean 'duckdb'" in message
    with pytest.raises(SchemaError, match="the DuckDB engine runs in memory"):
        open_engine("duckdb:///tmp/file.db")
    # The protocol and the registry load no engine: an engine's driver loads when opened.
    code = "import sys, featurehouse.engine.base; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
