"""What the example pipelines share: their command line, where an example keeps its
source data inside a project, and how a small JSON manifest of that data is kept."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import featurehouse as fh
from featurehouse.errors import NotFoundError


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


def feature_group(fs: fh.FeatureStore, name: str, **definition: Any) -> fh.FeatureGroup:
    """Version 1 of a feature group, created with ``definition`` on the first run, so
    that a pipeline can run again (on a schedule) against the same project."""
    try:
        return fs.get_feature_group(name, version=1)
    except NotFoundError:
        return fs.create_feature_group(name, version=1, **definition)


def model_inputs(table: Any, view: fh.FeatureView, skip: Iterable[str] = ()) -> Any:
    """A training dataset split's (transformed) feature columns as a float matrix, in the
    order the service hands them to the model: all but keys, event time, labels and
    ``skip`` (extra spine columns such as request parameters)."""
    import numpy as np

    dropped = {*view.keys, view.event_time, *view.labels, *skip}
    columns = [c for c in table.column_names if c not in dropped]
    return np.column_stack(
        [table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in columns]
    )
