"""``featurehouse plan``, ``apply`` and ``init``: the feature repo as code."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from featurehouse.catalog.base import describe
from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store

if TYPE_CHECKING:
    from featurehouse.repo.plan import Plan

console = Console()
RepoArgument = typer.Argument(Path("."), help="The repo directory (default: here).")
BREAKING_EXIT_CODE = 3  # distinct from 1 (an error) and 2 (a usage error, click's)
STYLES = {"create": "green", "change": "yellow", "breaking": "bold red", "remove": "red"}


def plan(
    repo: Path = RepoArgument, project: Path | None = ProjectOption, as_json: bool = JsonOption
) -> None:
    """Show how the catalog differs from the repo: created / changed / breaking / removed.

    Exit status: 0 when apply can make every change, 3 when the plan
    lists breaking changes (apply would refuse them), 1 on an error.
    """
    from featurehouse.repo.loader import load_repo
    from featurehouse.repo.plan import BREAKING, make_plan

    with open_store(project, create=True) as fs:
        result = make_plan(fs, load_repo(repo))
    if as_json:
        emit_json(result.to_json())
    else:
        _print_plan(result)
    if result.of(BREAKING):
        raise typer.Exit(BREAKING_EXIT_CODE)  # so that CI fails before an apply does


def apply(
    repo: Path = RepoArgument,
    prune: bool = typer.Option(
        False, help="Also remove what the repo no longer declares (refused while in use)."
    ),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Make the catalog what the repo declares; breaking changes are refused."""
    from featurehouse.repo.apply import apply_plan
    from featurehouse.repo.loader import load_repo
    from featurehouse.repo.plan import make_plan

    with open_store(project, create=True) as fs:
        result = make_plan(fs, load_repo(repo))
        if not as_json:
            _print_plan(result)
        done = apply_plan(fs, result, prune=prune)
    if as_json:
        emit_json({"plan": result.to_json(), "applied": asdict(done)})
        return
    console.print(
        f"Applied: {len(done.created)} created, {len(done.changed)} changed, "
        f"{len(done.removed)} removed."
    )
    if done.kept:
        console.print(f"Kept (not in the repo; --prune removes them): {', '.join(done.kept)}")


def init(
    directory: Path = typer.Argument(..., help="Directory for the new repo."),
) -> None:
    """Create a starter repo: feature groups, a view, a feature pipeline and a README."""
    from featurehouse.repo.starter import write_starter

    for path in write_starter(directory):
        console.print(f"created {escape(str(path))}")
    console.print(
        f"Next: [cyan]featurehouse plan {escape(str(directory))}[/cyan], then "
        f"[cyan]featurehouse apply {escape(str(directory))}[/cyan]"
    )


def _print_plan(result: Plan) -> None:
    from featurehouse.models.registry import DEPLOYMENT
    from featurehouse.repo.plan import ACTIONS, BREAKING, REMOVE

    if result.empty:
        console.print(f"No changes: the catalog matches {escape(str(result.repo.path))}.")
    else:
        table = Table("action", "object", "name", "version", "details", title="Plan")
        for change in result.changes:
            style = STYLES[change.action]
            table.add_row(
                f"[{style}]{change.action}[/{style}]",
                describe(change.kind),
                change.name,
                "" if change.kind == DEPLOYMENT else str(change.version),
                escape("\n".join(change.details)),
            )
        console.print(table)
        counts = ", ".join(f"{len(result.of(a))} {a}" for a in ACTIONS)
        console.print(f"Plan: {counts}; {len(result.unchanged)} unchanged.")
    if result.of(BREAKING):
        console.print("[bold red]apply will refuse the breaking changes: bump their version.")
    if result.of(REMOVE):
        console.print("Removals happen only with [cyan]apply --prune[/cyan].")
    if result.unmanaged:
        console.print(
            f"{len(result.unmanaged)} catalog object(s) not declared by this repo (made from code "
            "or by the platform) are left alone."
        )
