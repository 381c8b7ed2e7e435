"""``featurehouse monitor run / report / list``, with exit codes for schedulers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app

from .conftest import T0, log_predictions

runner = CliRunner()
DAY1, DAY2 = T0 + timedelta(days=1), T0 + timedelta(days=2)


def test_monitor_commands_and_exit_codes(
    fs: fh.FeatureStore, monitored: dict[str, Any], home: Path
) -> None:
    log_predictions(fs, 800, seed=1, at=DAY1)
    log_predictions(fs, 800, seed=2, at=DAY2, drift=frozenset({"amount"}))
    fs.monitoring.create(
        "fraud_inputs",
        deployment="fraud",
        reference=monitored["td"],
        thresholds={"psi": 0.2},
        webhook="http://127.0.0.1:9/never?token=s3cret",
    )
    project = ["--project", str(home)]
    missing = runner.invoke(app, ["monitor", "report", *project])
    assert missing.exit_code == 1 and "no runs yet" in str(missing.exception)
    calm = [*project, "--start", DAY1.isoformat(), "--end", (DAY1 + timedelta(hours=1)).isoformat()]
    result = runner.invoke(app, ["monitor", "run", "--fail-on-breach", *calm])
    assert result.exit_code == 0, result.output
    window = ["--start", DAY2.isoformat(), "--end", (DAY2 + timedelta(hours=1)).isoformat()]
    result = runner.invoke(app, ["monitor", "run", *project, *window])
    assert result.exit_code == 0  # a breach fails the command only when asked
    result = runner.invoke(
        app, ["monitor", "run", "fraud_inputs", "--fail-on-breach", "--json", *project, *window]
    )
    assert result.exit_code == 2
    (run,) = json.loads(result.output)
    assert run["run"] == 3 and {b["feature"] for b in run["breaches"]} == {"amount", "prediction"}
    listed = runner.invoke(app, ["monitor", "list", "--json", *project])
    (row,) = json.loads(listed.output)
    assert row["name"] == "fraud_inputs" and row["last_run"] == 3 and row["webhook"] is True
    table = runner.invoke(app, ["monitor", "list", *project])
    assert "fraud_inputs" in table.output
    report = runner.invoke(app, ["monitor", "report", "fraud_inputs", *project])
    assert Path(report.output.strip()) == Path(run["report_path"])
    assert Path(run["report_path"]).exists()
    for output in (listed.output, table.output, result.output):
        assert "s3cret" not in output
