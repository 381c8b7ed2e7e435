"""``fh fg validations`` and ``fh fg quarantine``: reports and quarantined rows from the terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app

runner = CliRunner()


def test_validations_and_quarantine(home: Path) -> None:
    with fh.connect(home) as fs:
        fg = fs.create_feature_group(
            "tx",
            primary_key=["id"],
            event_time="ts",
            expectations=[fh.expect.between("amount", 0, 10)],
            on_invalid="quarantine",
        )
        ts = datetime(2026, 1, 1, tzinfo=UTC)
        fg.insert([{"id": 1, "ts": ts, "amount": 5.0}, {"id": 2, "ts": ts, "amount": 50.0}])

    listed = runner.invoke(app, ["fg", "validations", "tx", "-p", str(home), "--json"])
    assert listed.exit_code == 0, listed.output
    (report,) = json.loads(listed.output)
    assert (report["number"], report["rows_failed"], report["success"]) == (1, 1, False)
    assert report["results"][0]["unexpected"] == [50.0]

    table = runner.invoke(app, ["fg", "validations", "tx", "-p", str(home)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "between(amount)" in table.output

    rows = runner.invoke(app, ["fg", "quarantine", "tx", "-p", str(home), "--json"])
    assert rows.exit_code == 0, rows.output
    (row,) = json.loads(rows.output)
    assert (row["id"], row["amount"], row["_fh_failed_expectations"]) == (
        2,
        50.0,
        ["between(amount)"],
    )

    shown = runner.invoke(app, ["fg", "quarantine", "tx", "-p", str(home)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "1 of 1 row(s)" in shown.output
