"""``featurehouse fg ...``: feature groups from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store, rows_table
from featurehouse.cli.statistics import statistics_table

app = typer.Typer(no_args_is_help=True)
console = Console()
COLUMNS = ("name", "version", "primary_key", "event_time", "online", "columns", "description")


@app.command("list")
def list_groups(project: Path | None = ProjectOption, as_json: bool = JsonOption) -> None:
    """List every feature group version."""
    with open_store(project) as fs:
        groups = fs.list_feature_groups()
    rows = [
        {
            "name": g.name,
            "version": g.version,
            "primary_key": g.primary_key,
            "event_time": g.event_time,
            "online": g.online,
            "columns": 0 if g.schema is None else len(g.schema),
            "description": g.description,
        }
        for g in groups
    ]
    if as_json:
        emit_json(rows)
        return
    console.print(rows_table("Feature groups", COLUMNS, rows))


@app.command("show")
def show(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a feature group: definition, schema, commits and statistics."""
    with open_store(project) as fs:
        fg = fs.get_feature_group(name, version)
        commits = fg.commits()
        stats = None if fg.schema is None else fg.statistics()
    schema = [] if fg.schema is None else [{"name": f.name, "type": str(f.type)} for f in fg.schema]
    info = {
        "name": fg.name,
        "version": fg.version,
        "primary_key": fg.primary_key,
        "event_time": fg.event_time,
        "online": fg.online,
        "description": fg.description,
        "tags": fg.tags,
        "schema": schema,
        "commits": [c.__dict__ for c in commits],
        "statistics": None if stats is None else stats.to_json(),
    }
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold]{fg.name}[/bold] version {fg.version}: {fg.description}")
    console.print(f"primary key {fg.primary_key}, event time {fg.event_time!r}, online={fg.online}")
    columns = Table(title="Schema")
    columns.add_column("column")
    columns.add_column("type")
    for field in schema:
        columns.add_row(field["name"], escape(field["type"]))
    console.print(columns)
    console.print(_commit_table(commits))
    if stats is not None:
        console.print(statistics_table(f"Statistics of all {stats.row_count:,} rows", stats))


@app.command("stats")
def stats(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    commit: int | None = typer.Option(
        None, help="Of the batch this offline version's commit wrote (default: the whole table)."
    ),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Statistics of a feature group, or of one commit's batch."""
    with open_store(project) as fs:
        found = fs.get_feature_group(name, version).statistics(commit)
    if as_json:
        emit_json(found.to_json())
        return
    what = "all" if commit is None else f"commit {commit}:"
    console.print(statistics_table(f"Statistics of {what} {found.row_count:,} rows", found))


@app.command("commits")
def commits(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """The offline commit history of a feature group."""
    with open_store(project) as fs:
        history = fs.get_feature_group(name, version).commits()
    if as_json:
        emit_json([c.__dict__ for c in history])
        return
    console.print(_commit_table(history))


@app.command("sync-online")
def sync_online(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    rebuild: bool = typer.Option(False, help="Recompute the whole online table from offline."),
    project: Path | None = ProjectOption,
) -> None:
    """Replay offline commits missing from the online store."""
    with open_store(project) as fs:
        written = fs.get_feature_group(name, version).sync_online(rebuild=rebuild)
    console.print(f"{written} online row(s) written")


@app.command("validations")
def validations(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """The validation reports of a feature group, oldest first."""
    with open_store(project) as fs:
        reports = fs.get_feature_group(name, version).validation_reports()
    if as_json:
        emit_json([r.to_json() for r in reports])
        return
    table = Table(title="Validation reports")
    for column in ("report", "time", "suite", "policy", "rows", "failed", "quarantined"):
        table.add_column(column)
    table.add_column("commit")
    table.add_column("failed expectations")
    for r in reports:
        table.add_row(
            str(r.number),
            r.time.isoformat(timespec="seconds"),
            str(r.suite_version),
            r.on_invalid,
            str(r.rows_checked),
            str(r.rows_failed),
            str(r.rows_quarantined),
            "-" if r.commit_version is None else str(r.commit_version),
            escape(", ".join(r.failed_expectations)) or "[green]passed[/green]",
        )
    console.print(table)


@app.command("quarantine")
def quarantine(
    name: str,
    version: int | None = typer.Option(None, help="Version (default: the latest)."),
    report: int | None = typer.Option(None, help="Only the rows of this validation report."),
    limit: int = typer.Option(50, help="Rows to show at most."),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Rows quarantined by failed expectations, with the expectations each failed."""
    with open_store(project) as fs:
        rows = fs.get_feature_group(name, version).read_quarantine(report).to_arrow()
    shown = rows.slice(0, limit).to_pylist()
    if as_json:
        emit_json(shown)
        return
    table = Table(title=f"Quarantine: {len(shown)} of {rows.num_rows} row(s)")
    for column in rows.column_names:
        table.add_column(column)
    for row in shown:
        table.add_row(*(escape(str(v)) for v in row.values()))
    console.print(table)


def _commit_table(history: list[Any]) -> Table:
    table = Table(title="Commits")
    for column in ("version", "time", "operation", "inserted", "updated", "deleted"):
        table.add_column(column)
    for c in history:
        table.add_row(
            str(c.version),
            c.timestamp.isoformat(timespec="seconds"),
            c.operation,
            str(c.rows_inserted),
            str(c.rows_updated),
            str(c.rows_deleted),
        )
    return table
