"""``featurehouse run EXAMPLE PIPELINE``: one pipeline of an example ML system, as any
orchestrator (cron, Airflow, a CI job) would run it."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from featurehouse.examples import PIPELINES, module_name

EXAMPLES_HELP = "; ".join(f"{name}: {', '.join(steps)}" for name, steps in PIPELINES.items())


def run(
    example: str = typer.Argument(
        ..., help=f"Example and its pipelines, in order: {EXAMPLES_HELP}."
    ),
    pipeline: str = typer.Argument(..., help="Which pipeline to run."),
    project: Path = typer.Option(
        Path(".featurehouse"), "--project", "-p", help="Project directory."
    ),
) -> None:
    """Run one pipeline of an example, e.g. featurehouse run fraud feature."""
    if example not in PIPELINES:
        raise typer.BadParameter(
            f"unknown example {example!r}; expected one of {sorted(PIPELINES)}",
            param_hint="EXAMPLE",
        )
    if pipeline not in PIPELINES[example]:
        raise typer.BadParameter(
            f"example {example!r} has no pipeline {pipeline!r}; expected one of "
            f"{list(PIPELINES[example])}",
            param_hint="PIPELINE",
        )
    importlib.import_module(module_name(example, pipeline)).main(["--project", str(project)])
