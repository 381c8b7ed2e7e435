"""``featurehouse monitor ...``: run monitors (from cron or any scheduler), list them, and
find their reports."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from featurehouse.cli.common import JsonOption, ProjectOption, emit_json, open_store

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    name: str | None = typer.Argument(None, help="One monitor (default: every monitor)."),
    start: str | None = typer.Option(None, help="Window start, ISO 8601 (default: the first log)."),
    end: str | None = typer.Option(None, help="Window end, ISO 8601, exclusive (default: now)."),
    fail_on_breach: bool = typer.Option(
        False, "--fail-on-breach", help="Exit with status 2 when any threshold is breached."
    ),
    project: Path | None = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Run monitors over a window: drift, alerts on breach, an HTML report per run."""
    with open_store(project) as fs, console.status("running monitors", spinner="dots"):
        runs = fs.monitoring.run(start, end, name=name)
    if as_json:
        emit_json([r.to_json() for r in runs])
    else:
        table = Table(
            "monitor", "run", "rows", "breaches", "webhook", "report", title="Monitor runs"
        )
        for r in runs:
            breaches = "; ".join(f"{b.feature} {b.metric}={b.value:.3g}" for b in r.breaches)
            table.add_row(
                r.monitor,
                str(r.run),
                str(r.rows),
                f"[red]{escape(breaches)}[/red]" if breaches else "[green]none[/green]",
                r.webhook,
                str(r.report_path),
            )
        console.print(table)
    if fail_on_breach and any(r.breaches for r in runs):
        raise typer.Exit(2)


@app.command("report")
def report(
    name: str | None = typer.Argument(None, help="A monitor (default: the latest run of any)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the report in a browser."),
    project: Path | None = ProjectOption,
) -> None:
    """Print the path of the latest run's HTML report (and open it with --open)."""
    with open_store(project) as fs:
        path = fs.monitoring.latest_report(name)
    typer.echo(str(path))
    if open_browser:
        webbrowser.open(path.resolve().as_uri())


@app.command("list")
def list_monitors(project: Path | None = ProjectOption, as_json: bool = JsonOption) -> None:
    """List monitors with their reference, thresholds and last run."""
    with open_store(project) as fs:
        rows: list[dict[str, Any]] = []
        for m in fs.monitoring.list():
            runs = fs.monitoring.runs(m.name)
            rows.append(
                {
                    "name": m.name,
                    "version": m.version,
                    "source": f"deployment {m.deployment}" if m.deployment else "feature data",
                    "reference": f"{m.feature_view[0]}:{m.feature_view[1]} td {m.reference} "
                    f"{m.split}",
                    "features": len(m.features),
                    "thresholds": m.thresholds,
                    "webhook": m.webhook is not None,  # never the URL: it may hold a secret
                    "last_run": runs[-1].run if runs else None,
                    "last_breaches": len(runs[-1].breaches) if runs else None,
                }
            )
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Monitors")
    shown = ("name", "source", "reference", "thresholds", "last_run", "last_breaches")
    for column in shown:
        table.add_column(column, no_wrap=column == "name")
    for row in rows:
        thresholds = ", ".join(f"{k} {v:g}" for k, v in row["thresholds"].items())
        table.add_row(*(escape(str(thresholds if c == "thresholds" else row[c])) for c in shown))
    console.print(table)
