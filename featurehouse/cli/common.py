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

ProjectOption = typer.Option(
    None,
    "--project",
    "-p",
    help="Project directory (default: $FEATUREHOUSE_HOME or ./.featurehouse).",
)


def open_store(project: Path | None) -> fh.FeatureStore:
    return fh.connect(project)


JsonOption = typer.Option(False, "--json", help="Print JSON for scripts.")


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def cell(value: Any) -> str:
    """How a table shows a value: lists and dicts inline, floats short, markup escaped."""
    if value is None:
        text = ""
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    return escape(text)


def rows_table(title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Table:
    """A rich table of ``rows`` (dicts), one column per name in ``columns``."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    return table
