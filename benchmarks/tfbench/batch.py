"""Case 2: the transform step over every row of the training dataset (untransformed, as
written by ``prepare``), featurehouse ``transform_table`` on the Arrow table vs
``ColumnTransformer.transform`` on the pandas DataFrame. Fitting on the train split is
timed too. Each function runs in its own spawned process; the table is read (and, for
scikit-learn, converted to pandas) before the clock starts. Every ``stride``-th output
row is written out for the check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fgbench.data import read_table, write_table
from fgbench.measure import timed

from .features import column_transformer, transforms
from .prepare import VIEW

Result = dict[str, Any]


def transform_featurehouse(root: Path, project: Path, stride: int) -> Result:
    import pyarrow.compute  # noqa: F401  (loaded before the clock)

    import featurehouse as fh
    from featurehouse.transforms.apply import fit, transform_table

    fs = fh.connect(project)
    fv = fs.get_feature_view(VIEW)
    stored = fv.get_training_dataset(fv.serving_dataset).statistics
    fs.close()
    train = read_table(root / "train.arrow")
    table = read_table(root / "training.arrow")
    out: Result = {"rows": table.num_rows, "train_rows": train.num_rows}
    start = time.perf_counter()
    stats = fit(transforms(), train)
    out["fit_seconds"] = time.perf_counter() - start
    assert stats.keys() == stored.keys()
    with timed(out):
        result = transform_table(table, fv.transforms, stored)
    out["columns_out"] = result.num_columns
    write_table(result.take(list(range(0, result.num_rows, stride))), root / "fh_batch.arrow")
    return out


def transform_sklearn(root: Path, stride: int) -> Result:
    import numpy as np
    import pyarrow as pa

    train = read_table(root / "train.arrow").to_pandas()
    table = read_table(root / "training.arrow")
    out: Result = {"rows": table.num_rows, "train_rows": len(train)}
    start = time.perf_counter()
    frame = table.to_pandas()
    out["to_pandas_seconds"] = time.perf_counter() - start
    del table
    ct = column_transformer()
    start = time.perf_counter()
    ct.fit(train)
    out["fit_seconds"] = time.perf_counter() - start
    with timed(out):
        matrix = ct.transform(frame)
    names = [str(n) for n in ct.get_feature_names_out()]
    out["columns_out"] = len(names)
    sample = np.asarray(matrix[::stride], dtype=float)
    table = pa.table({name: sample[:, i] for i, name in enumerate(names)})
    write_table(table, root / "sk_batch.arrow")
    return out
