"""The model registry: every flavor round-trips, versions and aliases, lineage, checksums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

import featurehouse as fh
from featurehouse.errors import ConflictError, DataError, NotFoundError, SchemaError
from tests.extras import require_extra

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 4))
Y = (X[:, 0] + X[:, 1] > 0).astype(int)


def double(rows: Any) -> Any:
    """A plain Python predict function (module level: it is stored by reference)."""
    return [2 * r for r in rows]


def sklearn_model() -> Any:
    linear_model = require_extra("sklearn.linear_model", "models")
    return linear_model.LogisticRegression().fit(X, Y)


def xgboost_model() -> Any:
    xgboost = require_extra("xgboost", "models")
    return xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, Y)


def lightgbm_model() -> Any:
    lightgbm = require_extra("lightgbm", "models")
    return lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, Y)


def torch_model() -> Any:
    torch = require_extra("torch", "torch")
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))


def predictions(model: Any) -> Any:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    import torch

    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).numpy()


@pytest.mark.parametrize(
    ("make", "flavor"),
    [
        (sklearn_model, "sklearn"),
        (xgboost_model, "xgboost"),
        (lightgbm_model, "lightgbm"),
        (torch_model, "pytorch"),
    ],
)
def test_every_flavor_round_trips(fs: fh.FeatureStore, make: Any, flavor: str) -> None:
    model = make()
    mv = fs.models.register("m", model, metrics={"auc": 0.9})
    assert (mv.version, mv.flavor) == (1, flavor)
    loaded = fs.models.get("m").load()
    np.testing.assert_allclose(predictions(loaded), predictions(model), rtol=1e-6)


def test_a_python_function(fs: fh.FeatureStore) -> None:
    mv = fs.models.register("doubler", double)
    assert mv.flavor == "python_function"
    assert fs.models.get("doubler").load()([1, 2]) == [2, 4]


def test_what_cannot_be_registered(fs: fh.FeatureStore) -> None:
    with pytest.raises(SchemaError, match="cannot register"):
        fs.models.register("m", 42)
    with pytest.raises(DataError, match="could not save"):
        fs.models.register("m", lambda rows: rows)  # not importable: cannot be stored
    assert fs.models.list() == []
    assert not any((fs.settings.home / "models").rglob("*.pkl"))  # nothing half-written


def test_versions_aliases_tags_and_best(fs: fh.FeatureStore) -> None:
    for auc, stage in ((0.7, "old"), (0.9, "new"), (0.8, "new")):
        fs.models.register(
            "fraud", double, metrics={"auc": auc, "loss": 1 - auc}, tags={"stage": stage}
        )
    assert [m.version for m in fs.models.list("fraud")] == [1, 2, 3]
    assert fs.models.get("fraud").version == 3
    assert fs.models.best("fraud", "auc").version == 2
    assert fs.models.best("fraud", "loss", higher_is_better=False).version == 2
    assert [m.version for m in fs.models.list(tag="stage=new")] == [2, 3]
    fs.models.set_alias("fraud", "production", 2)
    fs.models.set_alias("fraud", "staging", 3)
    assert fs.models.get("fraud", alias="production").version == 2
    assert fs.models.get("fraud", 2).aliases == ("production",)
    fs.models.set_alias("fraud", "production", 3)  # moving an alias
    assert fs.models.get("fraud", 3).aliases == ("production", "staging")
    with pytest.raises(NotFoundError, match="no alias"):
        fs.models.get("fraud", alias="canary")
    with pytest.raises(NotFoundError):
        fs.models.set_alias("fraud", "canary", 9)
    with pytest.raises(NotFoundError):
        fs.models.best("fraud", "f1")


def test_a_changed_artifact_is_refused(fs: fh.FeatureStore) -> None:
    mv = fs.models.register("m", sklearn_model())
    mv.artifact.write_bytes(mv.artifact.read_bytes()[:-1] + b"\x00")
    with pytest.raises(DataError, match="checksum"):
        fs.models.get("m").load()


def test_delete_removes_the_version_its_aliases_and_files(fs: fh.FeatureStore) -> None:
    fs.models.register("m", double)
    mv = fs.models.register("m", double)
    fs.models.set_alias("m", "production", 2)
    fs.models.delete("m", 2)
    assert [m.version for m in fs.models.list("m")] == [1]
    assert not mv.artifact.exists()
    with pytest.raises(NotFoundError):
        fs.models.get("m", alias="production")


def test_delete_is_refused_while_a_deployment_serves_the_version(fs: fh.FeatureStore) -> None:
    fs.models.register("m", double)
    fs._services.catalog.create(
        "deployment", "fraud", 1, {"models": [{"model": "m", "version": 1}]}
    )
    with pytest.raises(ConflictError, match="fraud"):
        fs.models.delete("m", 1)


def test_lineage_and_input_schema(fs: fh.FeatureStore) -> None:
    group = fs.create_feature_group("tx", primary_key=["id"], event_time="ts")
    group.insert(
        [{"id": i, "ts": T0 + timedelta(hours=i), "x": float(i), "y": i % 2} for i in range(20)]
    )
    view = fs.create_feature_view("v", query=group.select(["x", "y"]), labels=["y"])
    td = view.create_training_dataset(
        start=T0, end=T0 + timedelta(days=2), splits={"train": 0.5, "test": 0.5}
    )
    mv = fs.models.register("m", double, feature_view=view, training_dataset=td)
    assert mv.lineage == {
        "feature_view": {"name": "v", "version": 1},
        "feature_groups": ["tx:1"],
        "training_dataset": 1,
        "feature_group_versions": {"tx:1": 1},
    }
    assert mv.input_schema == [{"name": "x", "type": "double"}]
    assert len(mv.input_example) == 5 and set(mv.input_example[0]) >= {"id", "x"}
    with pytest.raises(DataError, match="feature_view"):
        fs.models.register("m", double, training_dataset=td)
    for wrong in (["x", "y"], []):  # y is the label
        with pytest.raises(SchemaError, match="inputs must be some features of v:1"):
            fs.models.register("m", double, feature_view=view, inputs=wrong)
    assert [v.version for v in fs.models.list("m")] == [1]  # a refused model is not stored
    assert len(list((fs.settings.home / "models" / "m").iterdir())) == 1
