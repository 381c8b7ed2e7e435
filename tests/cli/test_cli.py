"""The ``featurehouse`` command: the demo (see also tests/examples) and objects listed
and shown."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app
from featurehouse.cli.statistics import sparkline
from tests.extras import require_extra

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


READ_COMMANDS = [
    ("fg", "list"),
    ("fg", "show", "card_profiles"),
    ("fg", "stats", "card_profiles"),
    ("fg", "commits", "card_profiles"),
    ("fg", "validations", "card_profiles"),
    ("fg", "quarantine", "card_profiles"),
    ("fg", "sync-online", "card_profiles"),
    ("fv", "list"),
    ("fv", "show", "fraud"),
    ("td", "list"),
    ("td", "show", "fraud"),
    ("td", "stats", "fraud"),
    ("model", "list"),
    ("model", "show", "fraud_xgb"),
    ("deployment", "list"),
    ("deployment", "show", "fraud"),
    ("batch-predict", "fraud"),
    ("monitor", "list"),
    ("monitor", "run"),
    ("monitor", "report"),
    ("serve", "--log-level", "no-such-level"),  # should it start, it fails at once
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_read_command_refuses_a_project_that_does_not_exist(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    if command[0] == "serve":
        require_extra("uvicorn", "serve")  # without the extra serve stops at that first
    missing = tmp_path / "mistyped"
    result = runner.invoke(app, [*command, "--project", str(missing)])
    assert result.exit_code != 0
    assert isinstance(result.exception, fh.errors.NotFoundError), result.output
    assert str(missing) in str(result.exception)
    assert not missing.exists()  # nothing was created


def test_the_missing_project_error_names_the_path_and_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    command = [sys.executable, "-m", "featurehouse.cli.main", "fg", "list", "-p", str(missing)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    message = "".join(result.stderr.split())  # rich wraps long lines
    assert f"nofeaturehouseprojectat{missing}" in message
    assert "Traceback" not in result.stderr and not missing.exists()


EXTREME_VALUES = {
    "small_amount": [-1.2345678e-300, 0.0, 3.5e-7, 2.0],
    "huge_amount": [-9.87654321e307, 1.7976931348623157e308, 123456789.123, 0.5],
    "big_int": [-(2**63), 2**63 - 1, 0, 7],
    "a_rather_long_feature_column_name_é": [1.5, 2.5, 3.5, 4.5],
    "category": ["grocery", "", "online 🛒", "[bold]not markup[/bold]"],
}


@pytest.mark.parametrize("width", [80, 100, 140])
def test_statistics_tables_show_every_number_in_full(width: int) -> None:
    import pyarrow as pa
    from rich.console import Console

    from featurehouse.cli.common import plain
    from featurehouse.cli.statistics import statistics_table
    from featurehouse.engine.base import open_engine

    engine = open_engine("duckdb://")
    stats = engine.statistics(pa.table(EXTREME_VALUES))
    engine.close()
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(statistics_table("Statistics", stats))
    output = console.export_text()
    assert all(len(line) <= width for line in output.splitlines())
    for name, column in stats.columns.items():
        numbers = ("nulls", "min", "mean", "max", "stddev", "cardinality")
        for value in (column.get(k) for k in numbers):
            if value is not None:
                assert plain(value) in output, (name, plain(value), output)
    assert "[bold]not" in output  # shown, not read as markup


def _help_texts(command: Any) -> Iterator[tuple[str, str]]:
    """Walk a command of typer's own click (typer vendors it: click is no dependency)."""
    yield command.name or "fh", command.help or ""
    for param in command.params:
        yield f"{command.name} {param.name}", getattr(param, "help", None) or ""
    for sub in getattr(command, "commands", {}).values():
        yield from _help_texts(sub)


def test_help_texts_lose_nothing_to_rich_markup() -> None:
    from rich.text import Text

    for where, text in _help_texts(typer.main.get_command(app)):
        # rich mode reads "[...]" as a style tag: a literal bracket must be escaped
        assert Text.from_markup(text).plain == text.replace("\\[", "["), where
        assert "``" not in text, where  # reStructuredText quoting shows raw in a terminal
    shown = runner.invoke(app, ["batch-predict", "--help"], env={"COLUMNS": "200"})
    assert "[start, end]" in shown.output
    shown = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "`" not in shown.output


def test_plan_exits_3_when_it_lists_breaking_changes(tmp_path: Path) -> None:
    repo, project = tmp_path / "r", tmp_path / "p"
    assert runner.invoke(app, ["init", str(repo)]).exit_code == 0
    assert runner.invoke(app, ["apply", str(repo), "-p", str(project)]).exit_code == 0
    assert runner.invoke(app, ["plan", str(repo), "-p", str(project)]).exit_code == 0
    features = repo / "features.py"
    features.write_text(features.read_text().replace('"age": "int64"', '"age": "string"'))
    for as_json in ([], ["--json"]):
        planned = runner.invoke(app, ["plan", str(repo), "-p", str(project), *as_json])
        assert planned.exit_code == 3, planned.output
    assert "3 when the plan lists breaking changes" in " ".join(
        runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"}).output.split()
    )


def test_an_unknown_name_suggests_the_closest_existing_ones(demo_project: Path) -> None:
    command = [sys.executable, "-m", "featurehouse.cli.main", "fg", "show", "card_profile"]
    result = subprocess.run([*command, "-p", str(demo_project)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "did you mean 'card_profiles'?" in " ".join(result.stderr.split())
    with fh.connect(demo_project) as fs:
        with pytest.raises(fh.errors.NotFoundError, match="did you mean 'fraud'") as raised:
            fs.get_feature_view("FRAUD")
        assert raised.value.expected == ["fraud"] and raised.value.received == "FRAUD"
        with pytest.raises(fh.errors.NotFoundError, match="did you mean 'card_activity'"):
            fs.get_feature_group("card_activty", version=1)
        with pytest.raises(fh.errors.NotFoundError) as raised:
            fs.get_feature_group("zzzz")
        assert "did you mean" not in str(raised.value)
        with pytest.raises(fh.errors.NotFoundError) as raised:
            fs.get_feature_group("card_profiles", version=9)  # the name exists: no guess
        assert "did you mean" not in str(raised.value)
