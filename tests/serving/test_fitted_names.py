"""Models fitted on a DataFrame get a DataFrame with the names and order they were fitted
with: no scikit-learn "X does not have valid feature names" warning on every request, and
the right column in each place whatever the view's order."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import featurehouse as fh
from featurehouse.serving.predictor import Predictor

ENTITIES = [{"cc_num": i} for i in range(20)]


def lightgbm_model(frame: pd.DataFrame, labels: Any) -> Any:
    import lightgbm

    return lightgbm.LGBMClassifier(n_estimators=5, min_child_samples=2, verbose=-1).fit(
        frame, labels
    )


def sklearn_model(frame: pd.DataFrame, labels: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(frame, labels)


@pytest.mark.parametrize("make", [lightgbm_model, sklearn_model])
@pytest.mark.parametrize("order", [["limit", "age"], ["age", "limit"]])
def test_a_model_fitted_on_a_frame_is_served_without_warnings(
    fs: fh.FeatureStore, deployed: dict[str, Any], make: Any, order: list[str]
) -> None:
    view, td = deployed["view"], deployed["td"]
    train = td.read(transformed=True).to_pandas()
    labels = (train["age"] > train["age"].median()).astype(int)
    model = make(train[order], labels)
    fs.models.register("fitted", model, feature_view=view, training_dataset=td)
    fs.deploy("fitted_deployment", model="fitted")
    predictor = Predictor(fs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [p.prediction for p in predictor.predict("fitted_deployment", ENTITIES)]
    view.bind(td)
    vectors = view.get_feature_vector_list(ENTITIES, transformed=True)
    expected = model.predict_proba(pd.DataFrame(vectors)[order])[:, -1]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
