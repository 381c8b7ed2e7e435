"""The featurehouse project both cases read: 3 online groups, the view, a training dataset
from the spine (splits 0.8 / 0.2 at random), the view bound to it. Its rows (untransformed)
are written out for scikit-learn: the train split to fit on, every row to transform."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fgbench.data import read_table, write_table

from .features import EVENT_TIME, GROUPS, KEY, ON_DEMAND, features, transforms

VIEW = "scored"


def prepare(root: Path, project: Path) -> dict[str, Any]:
    import featurehouse as fh

    out: dict[str, Any] = {}
    fs = fh.connect(project)
    start = time.perf_counter()
    groups = []
    for g in range(GROUPS):
        group = fs.create_feature_group(
            f"g{g}", primary_key=[KEY], event_time=EVENT_TIME, online=True
        )
        group.insert(read_table(root / f"g{g}.arrow"))
        groups.append(group)
    out["insert_seconds"] = time.perf_counter() - start
    query = groups[0].select_all()
    for group in groups[1:]:
        query = query.join(group.select_all(), on=KEY)
    fv = fs.create_feature_view(VIEW, query=query, on_demand=ON_DEMAND, transforms=transforms())
    assert fv.features == features(), fv.features
    start = time.perf_counter()
    td = fv.create_training_dataset(
        spine=read_table(root / "spine.arrow"), splits={"train": 0.8, "test": 0.2}, seed=7
    )
    out["training_dataset_seconds"] = time.perf_counter() - start
    fv.bind(td)
    write_table(td.read("train").to_arrow().select(features()), root / "train.arrow")
    write_table(td.read().to_arrow().select(features()), root / "training.arrow")
    fs.close()
    out.update(td_version=td.version, td_rows=td.rows)
    return out
