"""What every command shares: the project option, how to open it, JSON and table output."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

import featurehouse as fh
from featurehouse.config import Settings
from featurehouse.errors import NotFoundError

ProjectOption = typer.Option(
    None,
    "--project",
    "-p",
    help="Project directory (default: $FEATUREHOUSE_HOME or ./.featurehouse).",
)


def open_store(project: Path | None, *, create: bool = False) -> fh.FeatureStore:
    """The project's store. Only commands that make objects pass ``create=True``: a read
    command with a mistyped ``--project`` must fail, not open a new empty project."""
    settings = Settings.load(project)
    if not create:
        require_project(settings)
    return fh.FeatureStore(settings)


def require_project(settings: Settings) -> None:
    """Refuse a project whose SQLite catalog file does not exist (a server catalog, such as
    PostgreSQL, is taken as it is)."""
    scheme, _, path = settings.catalog.partition(":///")
    if scheme.startswith("sqlite") and path and not Path(path).exists():
        raise NotFoundError(
            f"no featurehouse project at {settings.home}: its catalog {path} does not exist "
            "(check --project / $FEATUREHOUSE_HOME; `fh apply` or featurehouse.connect() "
            "creates a project)",
            obj=str(settings.home),
            expected="an existing project",
            received=str(settings.home),
        )


JsonOption = typer.Option(False, "--json", help="Print JSON for scripts.")


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def plain(value: Any) -> str:
    """How a table shows a value: lists and dicts inline, floats short."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={plain(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def cell(value: Any) -> str:
    """A value as a table cell: ``plain`` with rich markup escaped."""
    return escape(plain(value))


def rows_table(title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Table:
    """A rich table of ``rows`` (dicts), one column per name in ``columns``."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    return table
