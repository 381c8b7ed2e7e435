"""``featurehouse model ...``: registered models, their versions, metrics, aliases and lineage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from featurehouse.cli.common import (
    JsonOption,
    ProjectOption,
    cell,
    emit_json,
    open_store,
    rows_table,
)

if TYPE_CHECKING:
    from featurehouse.models.registry import ModelVersion

app = typer.Typer(no_args_is_help=True)
console = Console()
COLUMNS = ("name", "version", "flavor", "aliases", "metrics", "feature_view", "created_at")


def version_info(mv: ModelVersion) -> dict[str, Any]:
    """A model version as the CLI shows it (and as --json prints it)."""
    view = mv.lineage.get("feature_view")
    return {
        "name": mv.name,
        "version": mv.version,
        "flavor": mv.flavor,
        "aliases": list(mv.aliases),
        "metrics": mv.metrics,
        "params": mv.params,
        "tags": mv.tags,
        "description": mv.description,
        "feature_view": None if view is None else f"{view['name']}:{view['version']}",
        "lineage": mv.lineage,
        "input_schema": mv.input_schema,
        "created_at": mv.created_at.isoformat(timespec="seconds"),
    }


@app.command("list")
def list_models(
    name: str | None = typer.Argument(None, help="Model name (default: every model)."),
    tag: str | None = typer.Option(None, help="Only versions with this tag: key or key=value."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """List model versions with their metrics and aliases."""
    with open_store(project) as fs:
        rows = [version_info(mv) for mv in fs.models.list(name, tag=tag)]
    if as_json:
        emit_json(rows)
        return
    console.print(rows_table("Models", COLUMNS, rows))


@app.command("show")
def show(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    alias: str | None = typer.Option(None, help="The version an alias points at."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a model: one version's metrics, parameters and lineage, and every version."""
    with open_store(project) as fs:
        chosen = version_info(fs.models.get(name, version, alias=alias))
        versions = [version_info(mv) for mv in fs.models.list(name)]
    if as_json:
        emit_json({**chosen, "versions": versions})
        return
    console.print(rows_table(f"Versions of {name}", COLUMNS, versions))
    console.print(
        f"[bold]{name}[/bold] version {chosen['version']} ({chosen['flavor']}): "
        f"{cell(chosen['description'])}"
    )
    for label in ("aliases", "metrics", "params", "tags"):
        console.print(f"  {label}: {cell(chosen[label])}")
    lineage = chosen["lineage"]
    if lineage:
        console.print(
            f"  lineage: feature view {chosen['feature_view']}, training dataset "
            f"{lineage.get('training_dataset', '-')}, feature groups "
            f"{cell(lineage.get('feature_group_versions') or lineage.get('feature_groups'))}"
        )
