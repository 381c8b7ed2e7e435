"""The public surface stays small, sorted and honest, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import featurehouse
import featurehouse.errors


def test_all_is_sorted_and_exported() -> None:
    assert featurehouse.__all__ == sorted(featurehouse.__all__)
    for name in featurehouse.__all__:
        assert hasattr(featurehouse, name), name
    public = {n for n in vars(featurehouse) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(featurehouse, n)).__name__ == "module"}
    # submodules are attributes too; __all__ lists only those exported on purpose (fh.expect)
    assert public - modules == set(featurehouse.__all__) - modules
    assert set(featurehouse.__all__) & modules == {"expect"}


def test_errors_all_is_sorted_and_every_error_is_a_featurehouse_error() -> None:
    names = featurehouse.errors.__all__
    assert names == sorted(names)
    for name in names:
        assert issubclass(getattr(featurehouse.errors, name), featurehouse.errors.FeaturehouseError)


HEAVY = ["duckdb", "pandas", "polars", "pyarrow", "deltalake", "sqlalchemy", "fastapi", "uvicorn"]
HEAVY += ["prometheus_client", "pydantic", "sqlglot", "numpy", "jinja2"]


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("featurehouse", []),
        # the command line: `fh --help` answers before any data library loads
        ("featurehouse.cli.main", ["typer"]),
    ],
)
def test_import_loads_no_heavy_library(module: str, allowed: list[str]) -> None:
    heavy = [m for m in [*HEAVY, "typer"] if m not in allowed]
    code = f"import sys, {module}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
