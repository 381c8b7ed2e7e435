"""``featurehouse td ...``: training datasets of feature views from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

import featurehouse as fh
from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store, rows_table
from featurehouse.cli.statistics import statistics_table

app = typer.Typer(no_args_is_help=True)
console = Console()
COLUMNS = ("feature_view", "version", "rows", "group_versions", "created_at", "description")
ViewVersionOption = typer.Option(
    None, "--view-version", help="Version of the feature view (default: the latest)."
)


def dataset_info(dataset: fh.TrainingDataset) -> dict[str, Any]:
    """A training dataset as the CLI shows it (and as --json prints it)."""
    return {
        "feature_view": f"{dataset.feature_view}:{dataset.feature_view_version}",
        "version": dataset.version,
        "splits": dataset.splits,
        "rows": dataset.rows,
        "group_versions": dataset.group_versions,
        "transformed_features": sorted(dataset.statistics),
        "created_at": dataset.created_at.isoformat(timespec="seconds"),
        "description": dataset.description,
    }


@app.command("list")
def list_datasets(
    view: str | None = typer.Argument(None, help="Feature view (default: every view)."),
    view_version: int | None = ViewVersionOption,
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """List training datasets: of one feature view, or of every view."""
    with open_store(project) as fs:
        views = [fs.get_feature_view(view, view_version)] if view else fs.list_feature_views()
        rows = [dataset_info(d) for v in views for d in v.list_training_datasets()]
    if as_json:
        emit_json(rows)
        return
    console.print(rows_table("Training datasets", COLUMNS, rows))


@app.command("show")
def show(
    view: str,
    version: int | None = typer.Argument(None, help="Dataset version (default: the latest)."),
    view_version: int | None = ViewVersionOption,
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a training dataset: its splits with row counts and the group versions it read."""
    with open_store(project) as fs:
        info = dataset_info(fs.get_feature_view(view, view_version).get_training_dataset(version))
    if as_json:
        emit_json(info)
        return
    console.print(
        f"[bold]{info['feature_view']}[/bold] training dataset {info['version']}, created "
        f"{info['created_at']}: {info['description']}"
    )
    splits = [{"split": s, "rows": n} for s, n in info["rows"].items()]
    console.print(rows_table("Splits", ("split", "rows"), splits))
    read = [{"feature group": g, "offline version": v} for g, v in info["group_versions"].items()]
    console.print(
        rows_table("Feature group versions read", ("feature group", "offline version"), read)
    )
    if info["transformed_features"]:
        console.print(f"statistics fitted for: {', '.join(info['transformed_features'])}")


@app.command("stats")
def stats(
    view: str,
    version: int | None = typer.Argument(None, help="Dataset version (default: the latest)."),
    split: str = typer.Option("train", help="The split."),
    view_version: int | None = ViewVersionOption,
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Statistics of a training dataset split, computed when it was created."""
    with open_store(project) as fs:
        dataset = fs.get_feature_view(view, view_version).get_training_dataset(version)
        found = dataset.split_statistics(split)
    if as_json:
        emit_json(found.to_json())
        return
    title = f"Split {split!r} of training dataset {dataset.version}: {found.row_count:,} rows"
    console.print(statistics_table(title, found))
