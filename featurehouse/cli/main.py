"""The ``featurehouse`` / ``fh`` command."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from featurehouse.cli import (
    demo,
    deployments,
    feature_groups,
    feature_views,
    models,
    monitor,
    repo,
    run,
    serve,
    training_datasets,
)
from featurehouse.errors import FeaturehouseError

app = typer.Typer(
    name="featurehouse",
    help="featurehouse: feature groups on Delta Lake, online serving, point-in-time training data.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(
    feature_groups.app,
    name="fg",
    help="Feature groups: list, show, commits, sync, validations, quarantine.",
)
app.add_typer(feature_views.app, name="fv", help="Feature views and training datasets: list, show.")
app.add_typer(training_datasets.app, name="td", help="Training datasets: list, show.")
app.add_typer(models.app, name="model", help="Models: versions, metrics, aliases, lineage.")
app.add_typer(deployments.app, name="deployment", help="Deployments: list, show revisions.")
app.command("plan")(repo.plan)
app.command("apply")(repo.apply)
app.command("init")(repo.init)
app.command("batch-predict")(deployments.batch_predict)
app.add_typer(monitor.app, name="monitor", help="Monitors: run, report, list.")
app.command("demo")(demo.run)
app.command("serve")(serve.run)
app.command("run")(run.run)


def main() -> None:
    """Run the command; a featurehouse error prints its message, not a traceback."""
    try:
        app()
    except FeaturehouseError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
