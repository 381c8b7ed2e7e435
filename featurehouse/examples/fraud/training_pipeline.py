"""Training pipeline: the feature view ``fraud`` (card activity, card profile, merchant,
on-demand distance from home and time since the last transaction; model-dependent
transforms), a training dataset split by time, an XGBoost classifier, its registration
with test metrics, and its deployment as ``fraud``.

Input: the feature groups of the feature pipeline and the labelled source transactions
(the spine). Output: training dataset, model version ``fraud_xgb`` (alias ``production``)
and deployment ``fraud``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.examples.common import (
    Trained,
    model_inputs,
    parse_project,
    read_table,
    register_and_deploy,
    source_dir,
)
from featurehouse.examples.fraud.feature_pipeline import groups
from featurehouse.examples.fraud.features import distance_from_home, seconds_since_last
from featurehouse.examples.fraud.generate import EXAMPLE, read_size
from featurehouse.transforms.builtin import log1p, one_hot_encoder, standard_scaler

VIEW = "fraud"
MODEL = "fraud_xgb"
DEPLOYMENT = "fraud"
LABEL = "is_fraud"
REQUEST = ["lat", "lon", "unix_time"]  # what a card terminal sends with each transaction
# The merchant's id only joins its category, and the previous transaction's time only gives
# the time since it: served and logged, but as raw numbers no input of the model.
NOT_INPUTS = ("merchant_id", "prev_unix")
PARAMS = {"n_estimators": 150, "max_depth": 4, "learning_rate": 0.1, "subsample": 0.9}


def feature_view(fs: fh.FeatureStore) -> fh.FeatureView:
    """The fraud model's interface, created on first use."""
    try:
        return fs.get_feature_view(VIEW, version=1)
    except NotFoundError:
        pass
    target = groups(fs)
    activity = target["card_activity"].select(
        ["merchant_id", "amount", "prev_unix"]
        + [f"{kind}_{w}" for w in ("10m", "1h", "1d") for kind in ("tx_count", "amount_sum")]
    )
    query = activity.join(
        target["card_profiles"].select(["home_lat", "home_lon", "age", "credit_limit"]),
        on="cc_num",
    ).join(target["merchants"].select(["category"]), on="merchant_id")
    return fs.create_feature_view(
        VIEW,
        version=1,
        query=query,
        labels=[LABEL],
        on_demand=[distance_from_home, seconds_since_last],
        transforms={
            "amount": log1p(),
            "credit_limit": standard_scaler(),
            "category": one_hot_encoder(),
        },
        description="Is a card transaction fraud? Activity, holder, merchant and request",
    )


def transactions(project: Path, *, live: bool = False) -> Any:
    """Labelled source transactions with their request values: the history before the
    live window (the training spine), or the live ones."""
    rows = read_table(source_dir(project, EXAMPLE), "transactions")
    live_start = read_size(project).live_start
    keep = pc.greater_equal if live else pc.less
    rows = rows.filter(keep(rows["ts"], live_start))
    unix = pc.divide(pc.cast(pc.cast(rows["ts"], pa.timestamp("us")), pa.int64()), 1e6)
    columns = ["tx_id", "cc_num", "ts", LABEL, "lat", "lon"]
    return rows.select(columns).append_column("unix_time", unix)


def run(project: Path) -> Trained:
    """Train, evaluate on the later part of history, register and deploy."""
    import numpy as np
    import xgboost as xgb
    from sklearn.metrics import average_precision_score, roc_auc_score

    size = read_size(project)
    cut = size.start + (size.live_start - size.start) * 0.8
    with fh.connect(project) as fs:
        view = feature_view(fs)
        td = view.create_training_dataset(
            spine=transactions(project).drop_columns(["tx_id"]),
            splits={"train": (size.start, cut), "test": (cut, size.live_start)},
            description="history before the live window, split by time",
        )
        train = td.read("train", transformed=True).to_arrow()
        test = td.read("test", transformed=True).to_arrow()
        model = xgb.XGBClassifier(**PARAMS, n_jobs=2, random_state=0, eval_metric="auc")
        inputs = [f for f in view.features if f not in NOT_INPUTS]
        model.fit(model_inputs(train, td, inputs), np.asarray(train[LABEL]))
        scores = model.predict_proba(model_inputs(test, td, inputs))[:, 1]
        labels = np.asarray(test[LABEL])
        metrics = {
            "auc": float(roc_auc_score(labels, scores)),
            "average_precision": float(average_precision_score(labels, scores)),
            "fraud_rate_test": float(labels.mean()),
        }
        return register_and_deploy(
            fs,
            MODEL,
            model,
            view=view,
            dataset=td,
            metrics=metrics,
            params=PARAMS,
            description="XGBoost fraud classifier (probability of fraud)",
            deployment=DEPLOYMENT,
            inputs=inputs,
        )


def main(argv: Sequence[str] | None = None) -> None:
    trained = run(parse_project(__doc__ or "", argv))
    print(
        f"model {trained.model} version {trained.version} deployed as {trained.deployment!r}; "
        f"test AUC {trained.metrics['auc']:.3f}, training dataset {trained.training_dataset} "
        f"rows {trained.rows}"
    )


if __name__ == "__main__":
    main()
