"""The two projects over the same Parquet file.

featurehouse (run in a spawned process): an ``online=True`` feature group (SQLite, the
default online store) filled from the file, a view of its 30 features, and a small XGBoost
classifier registered with that view and deployed.

Feast (its CLI, from the Feast virtualenv): a repo in a directory with a ``FileSource``
over the file, one ``FeatureView`` of the 30 features and a SQLite online store, then
``feast apply`` and ``feast materialize`` over the data's time range.
"""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

from fgbench.measure import Result

from .data import END, FILE, KEY, START, feature_names

VIEW = "serving_bench"
DEPLOYMENT = "scorer"
TREES, DEPTH, TRAIN_ROWS = 50, 4, 20_000
DAY = timedelta(days=1)


def setup_featurehouse(data: Path, home: Path) -> Result:
    """The group, the view, the model and the deployment; seconds of the insert."""
    import pyarrow.parquet as pq
    import xgboost

    import featurehouse as fh

    table = pq.read_table(data / FILE)
    with fh.connect(home) as fs:
        group = fs.create_feature_group(
            "features", version=1, primary_key=[KEY], event_time="ts", online=True
        )
        start = time.perf_counter()
        group.insert(table.drop_columns(["label"]))
        insert_seconds = time.perf_counter() - start
        view = fs.create_feature_view(VIEW, query=group.select(feature_names()))
        train = table.slice(0, TRAIN_ROWS)
        model = xgboost.XGBClassifier(n_estimators=TREES, max_depth=DEPTH, n_jobs=1)
        model.fit(
            train.select(view.features).to_pandas().to_numpy(),
            train.column("label").to_numpy(),
        )
        fs.models.register(DEPLOYMENT, model, feature_view=view)
        fs.deploy(DEPLOYMENT, model=DEPLOYMENT)
    return {"insert_seconds": insert_seconds, "features": len(view.features)}


FEATURE_STORE_YAML = """\
project: servebench
registry: {repo}/registry.db
provider: local
offline_store:
  type: duckdb
online_store:
  type: sqlite
  path: {repo}/online.db
entity_key_serialization_version: 3
"""

REPO_PY = """\
from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64

entity = Entity(name="entity", join_keys=["{key}"], value_type=ValueType.INT64)
source = FileSource(name="features_source", path="{path}", timestamp_field="ts")
features = FeatureView(
    name="features",
    entities=[entity],
    ttl=timedelta(days=3650),
    schema=[Field(name="{key}", dtype=Int64)]
    + [Field(name=name, dtype=Float64) for name in {features!r}],
    source=source,
    online=True,
)
"""


def setup_feast(feast: Path, data: Path, repo: Path) -> Result:
    """Write the repo, ``feast apply``, ``feast materialize``; seconds of each."""
    repo.mkdir(parents=True)
    (repo / "feature_store.yaml").write_text(FEATURE_STORE_YAML.format(repo=repo))
    (repo / "repo.py").write_text(
        REPO_PY.format(key=KEY, path=data / FILE, features=feature_names())
    )
    out: Result = {}
    for step, args in (
        ("apply", ["apply"]),
        ("materialize", ["materialize", (START - DAY).isoformat(), (END + DAY).isoformat()]),
    ):
        start = time.perf_counter()
        done = subprocess.run(
            [str(feast), "--chdir", str(repo), *args], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"feast {step} failed:\n{done.stdout}\n{done.stderr}")
        out[f"{step}_seconds"] = time.perf_counter() - start
    return out
