"""``featurehouse deployment ...`` and ``featurehouse batch-predict``: what serves under each
name, every revision of it, and batch inference through it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store, rows_table

if TYPE_CHECKING:
    from featurehouse.models.deployments import Deployment

app = typer.Typer(no_args_is_help=True)
console = Console()
COLUMNS = ("name", "revision", "models", "feature_view", "changed_by", "changed_at", "note")


def revision_info(deployment: Deployment) -> dict[str, Any]:
    """A deployment revision as the CLI shows it (and as --json prints it)."""
    return {
        "name": deployment.name,
        "revision": deployment.revision,
        "models": [
            {"model": s.model, "version": s.version, "weight": s.weight} for s in deployment.models
        ],
        "feature_view": f"{deployment.feature_view[0]}:{deployment.feature_view[1]}",
        "changed_by": deployment.changed_by,
        "changed_at": deployment.changed_at.isoformat(timespec="seconds"),
        "note": deployment.note,
    }


def _table_row(info: dict[str, Any]) -> dict[str, Any]:
    served = [f"{m['model']}:{m['version']} {m['weight']:.0%}" for m in info["models"]]
    return {**info, "models": served}


@app.command("list")
def list_deployments(project: Path | None = ProjectOption, as_json: bool = JsonOption) -> None:
    """List deployments with what each serves now."""
    with open_store(project) as fs:
        rows = [revision_info(d) for d in fs.deployments.list()]
    if as_json:
        emit_json(rows)
        return
    console.print(rows_table("Deployments", COLUMNS, [_table_row(r) for r in rows]))


@app.command("show")
def show(name: str, project: Path | None = ProjectOption, as_json: bool = JsonOption) -> None:
    """Show a deployment: its current revision and its history (newest last)."""
    with open_store(project) as fs:
        history = [revision_info(d) for d in fs.deployments.history(name)]
    info = {**history[-1], "history": history}
    if as_json:
        emit_json(info)
        return
    current = _table_row(info)
    console.print(
        f"[bold]{name}[/bold] revision {info['revision']}: serves {', '.join(current['models'])} "
        f"through feature view {info['feature_view']}"
    )
    console.print(rows_table("History", COLUMNS, [_table_row(r) for r in history]))


def batch_predict(
    name: str = typer.Argument(..., help="Deployment to score with."),
    start: datetime | None = typer.Option(None, help="Entities seen from this time (UTC)."),
    end: datetime | None = typer.Option(None, help="Until this time; features as of it (UTC)."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    r"""Score every entity the deployment's view saw in \[start, end] (features as of end) and
    append the predictions to <name>_inference."""
    status = console.status(f"scoring through deployment {name!r}", spinner="dots")
    with open_store(project) as fs, status:
        predictions = fs.batch_predict(name, start=start, end=end).to_arrow()
    import pyarrow.compute as pc

    per_version = predictions.group_by(["model", "model_version"]).aggregate(
        [("prediction", "count"), ("prediction", "mean")]
    )
    summary = {
        "deployment": name,
        "table": f"{name}_inference",
        "rows": predictions.num_rows,
        "prediction_mean": pc.mean(predictions.column("prediction")).as_py(),
        "by_model_version": [
            {
                "model": r["model"],
                "version": r["model_version"],
                "rows": r["prediction_count"],
                "prediction_mean": r["prediction_mean"],
            }
            for r in per_version.sort_by([("model_version", "ascending")]).to_pylist()
        ],
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{summary['rows']} prediction(s) written to feature group [cyan]{summary['table']}[/cyan]"
    )
    columns = ("model", "version", "rows", "prediction_mean")
    console.print(rows_table("Predictions per model version", columns, summary["by_model_version"]))
