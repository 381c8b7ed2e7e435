"""Model artifacts are read only from the project's model store, whatever a catalog entry
says: an absolute path, ``..`` or a symlink leading out is refused before anything is
unpickled (and delete removes nothing outside), and XGBoost artifacts hold no pickle."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import featurehouse as fh
from featurehouse.catalog.base import update_with_retry
from featurehouse.errors import DataError
from featurehouse.models.registry import MODEL, _checksum
from tests.models.test_registry import X, double, xgboost_model


class RunsCode:
    """A pickle that creates a directory when it is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.makedirs, (str(self.marker),))


def plant(directory: Path) -> Path:
    """A malicious ``model.pkl`` in ``directory``; returns the directory it would create."""
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory.parent / "code-ran"
    (directory / "model.pkl").write_bytes(pickle.dumps(RunsCode(marker)))
    return marker


def point_at(fs: fh.FeatureStore, artifact: str, directory: Path) -> None:
    """Change the entry of model m:1 to name ``artifact``, with the checksum of ``directory``
    (a checksum in the same entry protects nothing)."""
    checksum = _checksum(directory)
    update_with_retry(
        fs._services.catalog,
        MODEL,
        "m",
        1,
        lambda body: {**body, "artifact": artifact, "checksum": checksum},
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    return tmp_path / "elsewhere" / "artifact"


def test_an_absolute_artifact_path_is_refused(fs: fh.FeatureStore, outside: Path) -> None:
    fs.models.register("m", double)
    marker = plant(outside)
    point_at(fs, str(outside / "model.pkl"), outside)
    with pytest.raises(DataError, match="model store") as raised:
        fs.models.get("m", 1).load()
    assert raised.value.obj == "m:1"
    assert not marker.exists()
    fs.models.delete("m", 1)  # the entry goes; files outside the store are not touched
    assert (outside / "model.pkl").exists()


@pytest.mark.parametrize(
    "relative", ["../../elsewhere/artifact/model.pkl", "m/../../../elsewhere/artifact/model.pkl"]
)
def test_a_path_leading_out_of_the_store_is_refused(
    fs: fh.FeatureStore, outside: Path, relative: str
) -> None:
    fs.models.register("m", double)
    marker = plant(outside)
    point_at(fs, relative, outside)
    with pytest.raises(DataError, match="model store"):
        fs.models.get("m", 1).load()
    assert not marker.exists()


def test_symlinks_leading_out_of_the_store_are_refused(fs: fh.FeatureStore, outside: Path) -> None:
    mv = fs.models.register("m", double)
    marker = plant(outside)
    directory = mv.artifact.parent
    (directory / "model.pkl").unlink()
    (directory / "model.pkl").symlink_to(outside / "model.pkl")  # a file
    point_at(fs, str(mv.artifact.relative_to(directory.parent.parent)), directory)
    with pytest.raises(DataError, match="model store"):
        fs.models.get("m", 1).load()
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
    directory.symlink_to(outside)  # the whole directory
    with pytest.raises(DataError, match="model store"):
        fs.models.get("m", 1).load()
    assert not marker.exists()


def test_xgboost_artifacts_hold_no_pickle_and_old_ones_still_load(fs: fh.FeatureStore) -> None:
    model = xgboost_model()
    mv = fs.models.register("m", model)
    assert not [p for p in mv.artifact.parent.iterdir() if p.suffix == ".pkl"]
    expected = model.predict_proba(X)
    np.testing.assert_allclose(fs.models.get("m").load().predict_proba(X), expected, rtol=1e-6)
    # registered by an earlier version: the wrapper class pickled beside the model
    (mv.artifact.parent / "wrapper.json").unlink()
    (mv.artifact.parent / "wrapper.pkl").write_bytes(pickle.dumps(type(model)))
    point_at(fs, str(mv.artifact.relative_to(mv.artifact.parents[2])), mv.artifact.parent)
    np.testing.assert_allclose(fs.models.get("m").load().predict_proba(X), expected, rtol=1e-6)
    # ... where only an XGBoost class is accepted
    marker = mv.artifact.parent / "code-ran"
    (mv.artifact.parent / "wrapper.pkl").write_bytes(pickle.dumps(RunsCode(marker)))
    point_at(fs, str(mv.artifact.relative_to(mv.artifact.parents[2])), mv.artifact.parent)
    with pytest.raises(DataError, match="XGBoost"):
        fs.models.get("m").load()
    assert not marker.exists()
