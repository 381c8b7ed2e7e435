"""The ``featurehouse`` command: the demo (see also tests/examples) and objects listed
and shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app
from featurehouse.cli.statistics import sparkline

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_project(fraud_demo: tuple[Path, str]) -> Path:
    return fraud_demo[0]  # ``featurehouse demo --small``; tests/examples check what it did


def test_demo_refuses_to_wipe_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["demo", "--project", str(tmp_path)])
    assert result.exit_code != 0
    assert (tmp_path / "precious.txt").exists()


def test_list_and_show_as_json(demo_project: Path) -> None:
    listed = runner.invoke(app, ["fg", "list", "--project", str(demo_project), "--json"])
    assert listed.exit_code == 0, listed.output
    names = [(g["name"], g["version"]) for g in json.loads(listed.output)]
    assert names == [
        ("card_activity", 1),
        ("card_profiles", 1),
        ("fraud_outcomes", 1),
        ("fraud_predictions", 1),
        ("merchants", 1),
    ]
    shown = runner.invoke(app, ["fg", "show", "card_profiles", "-p", str(demo_project), "--json"])
    info = json.loads(shown.output)
    assert [f["name"] for f in info["schema"]] == [
        "cc_num",
        "ts",
        "home_lat",
        "home_lon",
        "age",
        "credit_limit",
    ]
    assert [c["rows_inserted"] for c in info["commits"]][-1] == 300


def test_show_and_stats_give_statistics_of_the_data(demo_project: Path) -> None:
    with fh.connect(demo_project) as fs:
        fg = fs.get_feature_group("card_profiles")
        ages = np.array(fg.read().to_arrow()["age"].to_numpy(), dtype=float)
        last_commit = fg.commits()[-1].version
    shown = runner.invoke(app, ["fg", "show", "card_profiles", "-p", str(demo_project), "--json"])
    stats = json.loads(shown.output)["statistics"]
    assert stats["row_count"] == len(ages) == 300
    age = stats["columns"]["age"]
    assert (age["min"], age["max"]) == (ages.min(), ages.max())
    assert age["mean"] == pytest.approx(ages.mean())
    assert sum(age["histogram"]["counts"]) == len(ages)
    assert "cc_num" not in stats["columns"]  # the key is no feature
    command = ["fg", "stats", "card_profiles", "--commit", str(last_commit)]
    batch = json.loads(runner.invoke(app, [*command, "-p", str(demo_project), "--json"]).output)
    assert batch["row_count"] == 300 and batch["columns"]["age"]["max"] == ages.max()
    table = runner.invoke(app, ["fg", "show", "card_profiles", "-p", str(demo_project)])
    assert table.exit_code == 0 and "Statistics of all 300 rows" in table.output


def test_a_sparkline_has_one_bar_per_bin_scaled_to_the_fullest() -> None:
    assert sparkline([0, 1, 4, 8]) == " ▁▄█"
    assert sparkline([0, 0]) == ""


def test_feature_views_list_and_show(demo_project: Path) -> None:
    listed = runner.invoke(app, ["fv", "list", "-p", str(demo_project), "--json"])
    assert [v["name"] for v in json.loads(listed.output)] == ["fraud"]
    shown = runner.invoke(app, ["fv", "show", "fraud", "-p", str(demo_project), "--json"])
    info = json.loads(shown.output)
    assert info["features"][:2] == ["merchant_id", "amount"]
    assert info["features"][-2:] == ["distance_from_home", "seconds_since_last"]
    assert [d["version"] for d in info["training_datasets"]] == [1]
    table = runner.invoke(app, ["fv", "show", "fraud", "-p", str(demo_project)])
    assert table.exit_code == 0 and "Training datasets" in table.output


def test_show_and_sync_as_tables(demo_project: Path) -> None:
    shown = runner.invoke(app, ["fg", "show", "card_activity", "-p", str(demo_project)])
    assert shown.exit_code == 0 and "timestamp[us, tz=UTC]" in shown.output
    synced = runner.invoke(app, ["fg", "sync-online", "card_activity", "-p", str(demo_project)])
    assert synced.exit_code == 0 and "0 online row(s) written" in synced.output


def test_unknown_group_is_a_clear_error_not_a_traceback(demo_project: Path) -> None:
    command = [sys.executable, "-m", "featurehouse.cli.main", "fg", "show", "nope"]
    result = subprocess.run([*command, "-p", str(demo_project)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "feature group 'nope'" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
