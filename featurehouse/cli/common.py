"""What every command shares: the project option and how to open it."""

from __future__ import annotations

from pathlib import Path

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
