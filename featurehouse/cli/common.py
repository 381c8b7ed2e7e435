"""What every command shares: the project option and how to open it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

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
