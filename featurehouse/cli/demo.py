"""``featurehouse demo``: feature groups end to end on the embedded default, explained as it runs."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

import featurehouse as fh

console = Console()
MARKER = ".featurehouse-demo"
START = datetime(2026, 11, 1, tzinfo=UTC)


def transactions(day: int, count: int, seed: int) -> Any:
    """A deterministic day of card transactions."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 86_400, count))
    ts = [START + timedelta(days=day, seconds=int(s)) for s in seconds]
    return pa.table(
        {
            "cc_num": rng.integers(1, 1_001, count),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "amount": np.round(rng.gamma(2.0, 30.0, count), 2),
            "category": rng.choice(["grocery", "travel", "online", "fuel"], count),
        }
    )


def run(
    project: Path = typer.Option(
        Path("featurehouse-demo"), "--project", "-p", help="Demo project directory (recreated)."
    ),
) -> None:
    """Feature groups (insert, upsert, time travel, online reads, delete), then a feature view
    (point-in-time training data, a training dataset, online feature vectors)."""
    _fresh(project)
    console.rule("[bold]featurehouse demo: feature groups on the embedded lakehouse")
    console.print(
        f"Project in [cyan]{project}[/cyan]: SQLite catalog, Delta Lake tables, SQLite online store."
    )
    with fh.connect(project) as fs:
        fg = fs.create_feature_group(
            "transactions",
            version=1,
            primary_key=["cc_num"],
            event_time="ts",
            online=True,
            description="Card transactions: amount and category per card and time",
            tags={"team": "fraud"},
        )
        console.print(f"\n1. Created {fg!r}")

        day0 = transactions(0, 20_000, seed=1)
        _step("2. Insert day 1 (20,000 transactions)", fg.insert(day0))

        first = day0.slice(0, 1).to_pylist()[0]
        corrected = {**first, "amount": 0.0}
        day1 = transactions(1, 20_000, seed=2)
        import pyarrow as pa

        batch = pa.concat_tables([day1, pa.Table.from_pylist([corrected], schema=day1.schema)])
        _step(
            "3. Insert day 2 plus one correction of a day-1 row (upsert on key + event time)",
            fg.insert(batch),
        )

        card = int(first["cc_num"])
        latest = fg.get_online({"cc_num": card})
        assert latest is not None
        late = {**latest, "ts": latest["ts"] - timedelta(hours=12), "amount": 9_999.0}
        _step("4. A late row, 12 hours older than the card's newest", fg.insert([late]))
        after = fg.get_online({"cc_num": card})
        assert after is not None
        console.print(
            f"   online value of card {card} is still the newest one: amount {after['amount']} at "
            f"{after['ts']:%Y-%m-%d %H:%M} (the late 9999.0 row went to history only)"
        )

        console.print("\n5. Time travel: the corrected row as of version 1 and now")
        where = (pa.compute.field("cc_num") == card) & (pa.compute.field("ts") == first["ts"])
        for label, as_of in (("version 1", 1), ("latest", None)):
            row = fg.read(as_of=as_of).to_arrow().filter(where).to_pylist()[0]
            console.print(f"   {label:>9}: amount {row['amount']}")

        console.print("\n6. Online lookups (latest row per card; unknown keys give None)")
        _rows(fg.get_online([{"cc_num": 1}, {"cc_num": 2}, {"cc_num": 123_456}]))

        _step(
            f"7. Delete every row of card {card} (e.g. a GDPR request)", fg.delete({"cc_num": card})
        )
        console.print(f"   online value of card {card}: {fg.get_online({'cc_num': card})}")

        console.print("\n8. History")
        table = Table("version", "operation", "inserted", "updated", "deleted")
        for c in fg.commits():
            table.add_row(
                str(c.version),
                c.operation,
                str(c.rows_inserted),
                str(c.rows_updated),
                str(c.rows_deleted),
            )
        console.print(table)
        _feature_view(fs, fg)
    console.rule("done")
    console.print("Look further:")
    for command in ("fg show transactions", "fv show card_fraud"):
        console.print(f"  [cyan]featurehouse {command} --project {project}[/cyan]")


def _feature_view(fs: fh.FeatureStore, transactions: fh.FeatureGroup) -> None:
    import pyarrow as pa

    console.rule("[bold]feature views: point-in-time training data and online vectors")
    profiles = fs.create_feature_group(
        "card_profiles", primary_key=["cc_num"], event_time="ts", online=True
    )
    cards = list(range(1, 1_001))
    profiles.insert(
        [
            {
                "cc_num": c,
                "ts": START,
                "credit_limit": float(1_000 + c % 7 * 500),
                "age": 20 + c % 50,
            }
            for c in cards
        ]
    )
    # Card 1 got a higher limit on day 2: training rows before that must not see it.
    profiles.insert(
        [{"cc_num": 1, "ts": START + timedelta(days=1), "credit_limit": 9_000.0, "age": 21}]
    )
    query = transactions.select(["amount", "category"]).join(
        profiles.select(["credit_limit", "age"]), on="cc_num"
    )
    view = fs.create_feature_view(
        "card_fraud", query=query, labels=["is_fraud"], description="Fraud model inputs"
    )
    console.print(f"\n9. Created {view!r}: features {view.features}")
    times = [START + timedelta(hours=h) for h in (12, 36)]
    spine = pa.table(
        {
            "cc_num": [1, 1],
            "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
            "is_fraud": [0, 1],
        }
    )
    console.print("\n10. Training data for card 1 at two times: each row sees only the past")
    for row in view.training_data(spine=spine).to_pylist():
        console.print(
            f"    {row['ts']:%Y-%m-%d %H:%M}: amount {row['amount']}, credit limit "
            f"{row['credit_limit']}, label {row['is_fraud']}"
        )
    dataset = view.create_training_dataset(
        spine=spine,
        splits={"train": (START, times[1]), "test": (times[1], START + timedelta(days=3))},
    )
    console.print(
        f"\n11. Training dataset version {dataset.version}: rows {dataset.rows}, read from "
        f"{dataset.group_versions} (reading it again gives the same rows, whatever comes later)"
    )
    console.print("\n12. Online feature vector of card 2, in the view's order")
    console.print(f"    {view.get_feature_vector({'cc_num': 2})}")


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


def _step(title: str, result: fh.WriteResult) -> None:
    console.print(f"\n{title}")
    line = (
        f"   -> offline version {result.version}: {result.rows_inserted} inserted, "
        f"{result.rows_updated} updated, {result.rows_deleted} deleted, "
        f"{result.online_rows_written} online row(s) written"
    )
    if result.duplicates_dropped:
        line += f", {result.duplicates_dropped} in-batch duplicate(s) dropped (the last one wins)"
    console.print(line)


def _rows(rows: list[dict[str, Any] | None]) -> None:
    for row in rows:
        console.print(f"   {row}")
