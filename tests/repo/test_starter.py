"""``featurehouse init`` makes a repo that plans, applies and runs on a fresh project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app

runner = CliRunner()


def test_init_plan_apply_and_run_the_pipeline(tmp_path: Path) -> None:
    repo, project = tmp_path / "my_repo", tmp_path / "project"
    result = runner.invoke(app, ["init", str(repo)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in repo.iterdir()) == ["README.md", "features.py", "ingest.py"]

    planned = runner.invoke(app, ["plan", str(repo), "-p", str(project), "--json"])
    assert planned.exit_code == 0, planned.output
    changes = json.loads(planned.output)["changes"]
    assert [(c["action"], c["name"]) for c in changes] == [
        ("create", "card_profiles"),
        ("create", "transactions"),
        ("create", "fraud"),
    ]
    applied = runner.invoke(app, ["apply", str(repo), "-p", str(project)])
    assert applied.exit_code == 0 and "3 created" in applied.output, applied.output
    again = runner.invoke(app, ["plan", str(repo), "-p", str(project)])
    assert "No changes" in again.output
    reapplied = runner.invoke(app, ["apply", str(repo), "-p", str(project), "--json"])
    assert json.loads(reapplied.output)["applied"] == {
        "created": [],
        "changed": [],
        "removed": [],
        "kept": [],
    }

    ran = subprocess.run(
        [sys.executable, "ingest.py", str(project)], cwd=repo, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    assert "transactions: 1000 rows" in ran.stdout
    with fh.connect(project) as fs:
        vector = fs.get_feature_view("fraud").get_feature_vector({"cc_num": 1})
    assert set(vector) == {"amount", "category", "credit_limit", "age"}
    assert None not in vector.values()


def test_init_refuses_a_directory_with_python_files(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("x = 1\n")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"]


def test_breaking_apply_from_the_command_line_says_to_bump_the_version(tmp_path: Path) -> None:
    repo, project = tmp_path / "r", tmp_path / "p"
    runner.invoke(app, ["init", str(repo)])
    assert runner.invoke(app, ["apply", str(repo), "-p", str(project)]).exit_code == 0
    features = repo / "features.py"
    features.write_text(features.read_text().replace('"age": "int64"', '"age": "string"'))
    planned = runner.invoke(app, ["plan", str(repo), "-p", str(project)], env={"COLUMNS": "200"})
    assert "breaking" in planned.output and "apply will refuse" in planned.output
    command = [
        sys.executable,
        "-m",
        "featurehouse.cli.main",
        "apply",
        str(repo),
        "-p",
        str(project),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert result.returncode == 1 and "Traceback" not in message
    assert "card_profiles:1: column 'age' retyped int64 -> string" in message
    assert "declare version=2" in message
