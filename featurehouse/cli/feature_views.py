"""``featurehouse fv ...``: feature views and their training datasets from the terminal."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store, rows_table
from featurehouse.cli.training_datasets import COLUMNS as TRAINING_COLUMNS
from featurehouse.cli.training_datasets import dataset_info

app = typer.Typer(no_args_is_help=True)
console = Console()
COLUMNS = ("name", "version", "keys", "features", "labels", "groups", "description")


@app.command("list")
def list_views(project: Path | None = ProjectOption, as_json: bool = JsonOption) -> None:
    """List every feature view version."""
    with open_store(project) as fs:
        rows = [
            {
                "name": v.name,
                "version": v.version,
                "keys": v.keys,
                "features": len(v.features),
                "labels": v.labels,
                "groups": [f"{s.group}:{s.version}" for s in v.query.selections],
                "description": v.description,
            }
            for v in fs.list_feature_views()
        ]
    if as_json:
        emit_json(rows)
        return
    console.print(rows_table("Feature views", COLUMNS, rows))


@app.command("show")
def show(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a feature view: its query, features and training datasets."""
    with open_store(project) as fs:
        view = fs.get_feature_view(name, version)
        datasets = view.list_training_datasets()
    trainings = [dataset_info(d) for d in datasets]
    info = {
        "name": view.name,
        "version": view.version,
        "description": view.description,
        "keys": view.keys,
        "event_time": view.event_time,
        "features": view.features,
        "labels": view.labels,
        "query": view.query.to_json(),
        "training_datasets": trainings,
    }
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold]{view.name}[/bold] version {view.version}: {view.description}")
    console.print(f"keys {view.keys}, event time {view.event_time!r}, labels {view.labels}")
    console.print(f"features ({len(view.features)}): {', '.join(view.features)}")
    console.print(rows_table("Training datasets", TRAINING_COLUMNS, trainings))
