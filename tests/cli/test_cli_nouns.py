"""Every noun from the terminal: training datasets, models, deployments and batch-predict,
with --json checked against the API and the tables rendered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app
from tests.serving.conftest import CARDS, T0, make_deployment, total

runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("nouns") / "project"
    with fh.connect(home) as fs:
        made = make_deployment(fs)
        fs.models.register("scorer", total, feature_view=made["view"], metrics={"auc": 0.5})
        fs.models.set_alias("scorer", "production", 2)
        fs.deploy("fraud", split={1: 0.5, 2: 0.5}, note="A/B")
    yield home


def run(project: Path, *args: str) -> Any:
    result = runner.invoke(app, [*args, "-p", str(project), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def table(project: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-p", str(project)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_training_datasets(project: Path) -> None:
    with fh.connect(project) as fs:
        td = fs.get_feature_view("card_view").get_training_dataset(1)
    listed = run(project, "td", "list")
    assert [(d["feature_view"], d["version"]) for d in listed] == [("card_view:1", 1)]
    shown = run(project, "td", "show", "card_view", "1")
    assert shown["rows"] == td.rows == {"train": CARDS}
    assert shown["group_versions"] == td.group_versions == {"cards:1": 1}
    assert shown["transformed_features"] == ["limit"]
    assert run(project, "td", "list", "card_request_view") == []
    output = table(project, "td", "show", "card_view")
    assert "Splits" in output and "cards:1" in output
    limits = td.read("train").to_arrow()["limit"].to_numpy()
    stats = run(project, "td", "stats", "card_view", "1", "--split", "train")
    assert stats["row_count"] == CARDS
    assert stats["columns"]["limit"]["mean"] == pytest.approx(limits.mean())
    assert "Split 'train'" in table(project, "td", "stats", "card_view")


def test_models(project: Path) -> None:
    with fh.connect(project) as fs:
        versions = fs.models.list("scorer")
    listed = run(project, "model", "list")
    assert [(m["name"], m["version"]) for m in listed] == [("scorer", v.version) for v in versions]
    assert [m["aliases"] for m in listed] == [[], ["production"], []]
    shown = run(project, "model", "show", "scorer", "--alias", "production")
    assert shown["version"] == 2 and shown["flavor"] == versions[1].flavor
    assert shown["lineage"] == versions[1].lineage
    assert shown["lineage"]["feature_group_versions"] == {"cards:1": 1}
    assert shown["feature_view"] == "card_view:1"
    assert [v["version"] for v in shown["versions"]] == [1, 2, 3]
    assert run(project, "model", "show", "scorer", "--version", "3")["metrics"] == {"auc": 0.5}
    output = table(project, "model", "show", "scorer")
    assert "Versions of scorer" in output and "auc=0.5" in output


def test_deployments(project: Path) -> None:
    with fh.connect(project) as fs:
        history = fs.deployments.history("fraud")
    listed = run(project, "deployment", "list")
    assert [(d["name"], d["revision"]) for d in listed] == [("fraud", 2)]
    shown = run(project, "deployment", "show", "fraud")
    assert shown["revision"] == history[-1].revision == 2
    assert [m["version"] for m in shown["models"]] == [1, 2]
    assert [r["note"] for r in shown["history"]] == ["", "A/B"]
    assert shown["history"][0]["models"] == [{"model": "scorer", "version": 1, "weight": 1.0}]
    output = table(project, "deployment", "show", "fraud")
    assert "scorer:1 50%, scorer:2 50%" in output and "History" in output


def test_batch_predict(project: Path) -> None:
    start, end = T0.date().isoformat(), (T0.replace(day=2)).date().isoformat()
    summary = run(project, "batch-predict", "fraud", "--start", start, "--end", end)
    with fh.connect(project) as fs:
        written = fs.get_feature_group("fraud_inference").read().to_arrow()
    assert summary["rows"] == written.num_rows == CARDS
    assert summary["table"] == "fraud_inference"
    by_version = {v["version"]: v["rows"] for v in summary["by_model_version"]}
    assert sum(by_version.values()) == CARDS and set(by_version) == {1, 2}
    for version, count in by_version.items():
        mask = pc.equal(written.column("model_version"), version)
        assert pc.sum(mask).as_py() == count
    mean = pc.mean(written.column("prediction")).as_py()
    assert summary["prediction_mean"] == pytest.approx(mean)
    output = table(project, "batch-predict", "fraud", "--start", start, "--end", end)
    assert f"{CARDS} prediction(s) written" in output


def test_unknown_objects_are_errors(project: Path) -> None:
    for args in (
        ("model", "show", "nope"),
        ("deployment", "show", "nope"),
        ("td", "show", "card_view", "9"),
    ):
        result = runner.invoke(app, [*args, "-p", str(project)])
        assert result.exit_code != 0


def test_unknown_model_and_deployment_names_suggest_the_closest(project: Path) -> None:
    with fh.connect(project) as fs:
        with pytest.raises(fh.errors.NotFoundError, match="did you mean 'scorer'"):
            fs.models.get("scorr")
        with pytest.raises(fh.errors.NotFoundError, match="did you mean 'fraud'"):
            fs.deployments.get("frad")
        with pytest.raises(fh.errors.NotFoundError, match="did you mean 'fraud'"):
            fs.deployments.history("Fraud")
    result = runner.invoke(app, ["deployment", "show", "fraudd", "-p", str(project)])
    assert result.exit_code != 0 and "did you mean 'fraud'" in str(result.exception)
