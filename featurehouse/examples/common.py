"""What the example pipelines share: their command line, where an example keeps its
source data inside a project, and how a small JSON manifest of that data is kept."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.transforms.apply import output_names


def parse_project(description: str, argv: Sequence[str] | None) -> Path:
    """The ``--project DIR`` every pipeline program takes (default: ./.featurehouse)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--project",
        type=Path,
        default=Path(".featurehouse"),
        help="featurehouse project directory (default: ./.featurehouse)",
    )
    return Path(parser.parse_args(argv).project)


def source_dir(project: Path, example: str) -> Path:
    """Where the example's synthetic source system (its raw files) lives in a project."""
    return Path(project) / "example-data" / example


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))


def read_manifest(directory: Path, example: str) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.exists():
        raise NotFoundError(
            f"example {example!r}: no source data in {directory}; run its generate step first "
            f"(featurehouse run {example} generate --project ...)",
            obj=example,
            expected=str(path),
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_table(directory: Path, name: str, table: Any) -> Path:
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.parquet"
    pq.write_table(table, path)
    return path


def read_table(directory: Path, name: str) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(directory / f"{name}.parquet")


def feature_groups(
    fs: fh.FeatureStore, example: str, definitions: dict[str, tuple[str, str]], *, online: bool
) -> dict[str, fh.FeatureGroup]:
    """Version 1 of each group of ``definitions`` (name -> primary key, description),
    keyed by ``ts``, created on the first run so that a pipeline can run again (on a
    schedule) against the same project."""
    found: dict[str, fh.FeatureGroup] = {}
    for name, (key, description) in definitions.items():
        try:
            found[name] = fs.get_feature_group(name, version=1)
        except NotFoundError:
            found[name] = fs.create_feature_group(
                name,
                version=1,
                primary_key=[key],
                event_time="ts",
                online=online,
                description=description,
                tags={"example": example},
            )
    return found


def write_sources(
    project: Path, example: str, tables: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, int]:
    """Write an example's source tables and the manifest of how they were made; returns
    rows per table."""
    directory = source_dir(project, example)
    for name, table in tables.items():
        write_table(directory, name, table)
    write_manifest(directory, manifest)
    return {name: table.num_rows for name, table in tables.items()}


def register_and_deploy(
    fs: fh.FeatureStore,
    name: str,
    model: Any,
    *,
    view: fh.FeatureView,
    dataset: fh.TrainingDataset,
    metrics: dict[str, float],
    params: dict[str, Any],
    description: str,
    deployment: str,
    inputs: Sequence[str],
) -> Trained:
    """Register ``model`` (which takes ``inputs``) as the next version of ``name``, make it
    ``production`` and serve it as ``deployment``."""
    version = fs.models.register(
        name,
        model,
        feature_view=view,
        training_dataset=dataset,
        inputs=inputs,
        metrics=metrics,
        params=params,
        description=description,
    ).version
    fs.models.set_alias(name, "production", version)
    fs.deploy(deployment, model=name, version=version, note="training pipeline")
    return Trained(name, version, deployment, dataset.version, metrics, dataset.rows)


def model_inputs(table: Any, dataset: fh.TrainingDataset, inputs: Sequence[str]) -> Any:
    """A training dataset split's (transformed) ``inputs`` as a float matrix, in the order
    the service hands them to the model."""
    import numpy as np

    columns = output_names(inputs, dataset.transforms, dataset.statistics)
    return np.column_stack(
        [table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in columns]
    )


@dataclass(frozen=True)
class Trained:
    """What a training pipeline made: a deployed model version and how it scored."""

    model: str
    version: int
    deployment: str
    training_dataset: int
    metrics: dict[str, float]
    rows: dict[str, int]  # per split


def print_writes(results: dict[str, fh.WriteResult]) -> None:
    """A feature pipeline's report: what each group's write did."""
    for name, result in results.items():
        print(f"{name}: {result.rows_inserted} inserted, {result.rows_updated} updated")
