"""Training pipeline: the feature view ``air_quality`` (yesterday's and last week's PM2.5,
rolling means, the day's weather; label: the day's PM2.5), a training dataset whose last
60 days are the test split, a LightGBM regressor, its registration with test metrics
(and the persistence baseline "tomorrow as today" to beat), and deployment
``air_quality``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.examples.air_quality.feature_pipeline import WINDOWS, groups
from featurehouse.examples.air_quality.generate import read_size
from featurehouse.examples.common import Trained, model_inputs, parse_project, register_and_deploy

VIEW = "air_quality"
MODEL = "air_quality_lgbm"
DEPLOYMENT = "air_quality"
LABEL = "pm25"
TEST_DAYS = 60
PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 10,
}


def feature_view(fs: fh.FeatureStore) -> fh.FeatureView:
    try:
        return fs.get_feature_view(VIEW, version=1)
    except NotFoundError:
        pass
    target = groups(fs)
    query = (
        target["air_quality"]
        .select([LABEL, *WINDOWS])
        .join(
            target["weather"].select(["temperature", "wind_speed", "precipitation"]), on="sensor_id"
        )
    )
    return fs.create_feature_view(
        VIEW,
        version=1,
        query=query,
        labels=[LABEL],
        description="PM2.5 of a day from the days before and the day's weather",
    )


def run(project: Path) -> Trained:
    import lightgbm as lgb
    import numpy as np

    size = read_size(project)
    test_start = size.end - timedelta(days=TEST_DAYS - 1)
    with fh.connect(project) as fs:
        view = feature_view(fs)
        td = view.create_training_dataset(
            splits={
                "train": (size.start, test_start),
                "test": (test_start, size.end + timedelta(days=1)),
            },
            description=f"every day with a reading; the last {TEST_DAYS} days are the test",
        )
        train, test = td.read("train").to_arrow(), td.read("test").to_arrow()
        model = lgb.LGBMRegressor(**PARAMS, n_jobs=2, random_state=0, verbose=-1)
        model.fit(model_inputs(train, td, view.features), np.asarray(train[LABEL]))
        actual = np.asarray(test[LABEL])
        error = model.predict(model_inputs(test, td, view.features)) - actual
        persistence = np.asarray(test["pm25_lag1"], dtype=float) - actual
        metrics = {
            "mae": float(np.mean(np.abs(error))),
            "rmse": float(np.sqrt(np.mean(error**2))),
            "persistence_mae": float(np.nanmean(np.abs(persistence))),
        }
        return register_and_deploy(
            fs,
            MODEL,
            model,
            view=view,
            dataset=td,
            metrics=metrics,
            params=PARAMS,
            description="LightGBM forecast of a day's PM2.5 (µg/m³)",
            deployment=DEPLOYMENT,
            inputs=view.features,
        )


def main(argv: Sequence[str] | None = None) -> None:
    trained = run(parse_project(__doc__ or "", argv))
    m = trained.metrics
    print(
        f"model {trained.model} version {trained.version} deployed as {trained.deployment!r}: "
        f"test MAE {m['mae']:.2f} (persistence {m['persistence_mae']:.2f}), RMSE {m['rmse']:.2f}"
    )


if __name__ == "__main__":
    main()
