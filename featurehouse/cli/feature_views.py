"""``featurehouse fv ...``: feature views and their training datasets from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store

app = typer.Typer(no_args_is_help=True)
console = Console()


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
    table = Table(title="Feature views")
    for column in ("name", "version", "keys", "features", "labels", "groups", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in row.values()))
    console.print(table)


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
    trainings: list[dict[str, Any]] = [
        {
            "version": d.version,
            "rows": d.rows,
            "group_versions": d.group_versions,
            "created_at": d.created_at.isoformat(),
            "description": d.description,
        }
        for d in datasets
    ]
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
    table = Table(
        "version", "rows per split", "group versions read", "created", title="Training datasets"
    )
    for d in trainings:
        table.add_row(
            str(d["version"]),
            ", ".join(f"{k}={v}" for k, v in d["rows"].items()),
            ", ".join(f"{k}@{v}" for k, v in d["group_versions"].items()),
            d["created_at"][:19],
        )
    console.print(table)
