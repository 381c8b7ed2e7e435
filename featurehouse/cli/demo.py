"""``featurehouse demo``: the fraud example end to end on the embedded default — source
data, feature pipeline, training, deployment, online predictions over HTTP with logs and
outcomes — shown as it runs, then where to look."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from featurehouse.examples.fraud.monitoring_step import Monitored

console = Console()
MARKER = ".featurehouse-demo"


def run(
    project: Path = typer.Option(
        Path("featurehouse-demo"), "--project", "-p", help="Demo project directory (recreated)."
    ),
    small: bool = typer.Option(
        False, "--small", help="A smaller card network (300 cards, 8 days), for a quick look."
    ),
) -> None:
    """Run the credit-card fraud system end to end: feature, training and inference
    pipelines, the model served over HTTP, prediction logs and outcomes."""
    import featurehouse as fh
    from featurehouse.examples.fraud import (
        feature_pipeline,
        generate,
        inference_pipeline,
        training_pipeline,
    )
    from featurehouse.examples.fraud.data import SMALL
    from featurehouse.examples.fraud.service import Service

    _fresh(project)
    began = time.monotonic()
    console.rule("[bold]featurehouse demo: real-time credit-card fraud")
    console.print(
        f"Project [cyan]{project}[/cyan]: SQLite catalog, Delta Lake offline store, SQLite "
        "online store, no servers (until the model is served over HTTP)."
    )
    with fh.connect(project) as fs:
        fs.list_feature_groups()  # creates the catalog: `serve` opens existing projects only
    # The service starts now, in its own process, and is ready by the time it is needed.
    with Service(project) as service:
        with console.status("1/5 source system: generating cards, merchants, transactions"):
            counts = generate.run(project, SMALL if small else None)
        size = generate.read_size(project)
        console.print(
            f"1/5 source: {counts['cards']:,} cards, {counts['merchants']:,} merchants, "
            f"{counts['transactions']:,} transactions over {size.days} days with injected "
            f"fraud (bursts, far from home, unusual amounts); the last {size.live_hours:g} h "
            "are live"
        )
        with console.status("2/5 feature pipeline: profiles, merchants, window aggregates"):
            written = feature_pipeline.run(project)
        table = Table("feature group", "rows", "online rows", title="2/5 feature pipeline")
        for name, result in written.items():
            table.add_row(name, f"{result.rows_inserted:,}", f"{result.online_rows_written:,}")
        console.print(table)
        with console.status("3/5 training pipeline: feature view, training dataset, XGBoost"):
            trained = training_pipeline.run(project)
        console.print(
            f"3/5 training: {trained.rows['train']:,} train / {trained.rows['test']:,} test "
            f"rows (split by time); model [bold]{trained.model}[/bold] v{trained.version}: "
            f"test AUC [bold]{trained.metrics['auc']:.3f}[/bold], average precision "
            f"{trained.metrics['average_precision']:.3f}; deployed as '{trained.deployment}'"
        )
        with Progress(
            TextColumn("4/5 online inference over HTTP"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("predict", total=None)
            served = inference_pipeline.score_live(
                project,
                service.wait_until_ready(),
                lambda done, total: progress.update(task, completed=done, total=total),
            )
    # the service has stopped, so its prediction log is written
    with console.status("5/5 outcomes and monitoring: drift vs training data, live AUC"):
        served = inference_pipeline.record_outcomes(project, served)
    frauds = sorted(served.predictions, key=lambda p: -p["score"])[:5]
    console.print(
        f"4/5 inference: {len(served.predictions)} live transactions scored by "
        f"[cyan]featurehouse serve[/cyan] ({served.url}), {served.logged} predictions logged, "
        f"{served.outcomes} outcomes logged later"
    )
    table = Table("transaction", "card", "fraud score", "really fraud", title="highest scores")
    for p in frauds:
        table.add_row(
            p["tx_id"], str(p["cc_num"]), f"{p['score']:.3f}", "yes" if p["is_fraud"] else "no"
        )
    console.print(table)
    assert served.monitored is not None  # record_outcomes ran the monitoring step
    _monitoring(served.monitored)
    _where_to_look(project, served.predictions[0]["cc_num"], size.end.timestamp())
    console.rule(f"done in {time.monotonic() - began:.0f} s")


def _monitoring(monitored: Monitored) -> None:
    outcomes = monitored.outcomes
    largest = ", ".join(f"{f} {psi:.2f}" for f, psi in list(monitored.drifted.items())[:4])
    drift = (
        f"PSI above 0.2 in {len(monitored.drifted)} of {monitored.watched} watched (largest: {largest})"
        if monitored.drifted
        else f"no drift in {monitored.watched} watched (PSI below 0.2)"
    )
    alert = (
        f" [bold red]alert: {', '.join(monitored.worse)} too low[/bold red]"
        if monitored.worse
        else ""
    )
    console.print(
        f"5/5 monitoring: {monitored.rows} logged predictions vs the training split: {drift}; "
        f"{outcomes['count']:.0f} outcomes: live ROC AUC [bold]{_figure(outcomes.get('roc_auc'))}"
        f"[/bold], recall {_figure(outcomes.get('recall'))}, precision "
        f"{_figure(outcomes.get('precision'))}{alert}"
    )
    console.print(f"  report: {monitored.report}", soft_wrap=True, highlight=False, markup=False)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _where_to_look(project: Path, card: int, unix_time: float) -> None:
    from featurehouse.config import Settings

    rows = [
        ("project", str(project.resolve())),
        ("catalog", Settings.load(project).catalog),
        ("feature groups", f"featurehouse fg list --project {project}"),
        ("prediction log", f"featurehouse fg show fraud_predictions --project {project}"),
        ("outcomes", f"featurehouse fg show fraud_outcomes --project {project}"),
        ("monitoring report", f"featurehouse monitor report --project {project}"),
        ("a pipeline again", f"featurehouse run fraud inference --project {project}"),
    ]
    console.print("[bold]Where to look[/bold]")
    for what, where in rows:
        console.print(f"  {what + ':':<18} {where}", soft_wrap=True, highlight=False, markup=False)
    body = (
        f'{{"entities": [{{"cc_num": {card}}}], '
        f'"request": {{"lat": 52.52, "lon": 13.40, "unix_time": {unix_time:.0f}.0}}}}'
    )
    console.print("Serve the model and ask it (a card used in Berlin, now):")
    console.print(f"  featurehouse serve --project {project}", soft_wrap=True, highlight=False)
    console.print(
        "  curl -X POST localhost:8000/v1/deployments/fraud/predict "
        f"-H 'content-type: application/json' -d '{body}'",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def _fresh(project: Path) -> None:
    """Start from an empty project; only ever delete a directory this demo made."""
    if project.exists():
        if not (project / MARKER).exists():
            raise typer.BadParameter(
                f"{project} exists and is not a demo project; choose another --project"
            )
        shutil.rmtree(project)
    project.mkdir(parents=True)
    (project / MARKER).write_text("created by featurehouse demo\n")
