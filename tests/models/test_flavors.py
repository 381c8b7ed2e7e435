"""Each flavor predicts from rows of input columns: a classifier's probability of its last
class, a regressor's value, a function's own output, a torch module's last output; and no
module but ``models/flavors.py`` names a flavor."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import featurehouse
from featurehouse.models.flavors import ModelInput, by_name, detect
from tests.extras import require_extra

COLUMNS = ["a", "b"]
ROWS = [{"a": 1.0, "b": 2.0}, {"a": None, "b": 0.5}, {"a": 3.0, "b": -1.0}]
X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [3.0, 2.0]])
Y = np.array([0, 0, 1, 1])


def doubled_sums(rows: list[dict[str, Any]]) -> list[float]:
    return [2 * sum(v or 0.0 for v in row.values()) for row in rows]


def test_a_classifier_gives_the_probability_of_its_last_class() -> None:
    require_extra("sklearn", "models")
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=5).fit(X, Y)  # takes NaN
    flavor = detect(model)
    matrix = np.array([[1.0, 2.0], [np.nan, 0.5], [3.0, -1.0]])
    expected = [float(p) for p in model.predict_proba(matrix)[:, 1]]
    assert flavor.predict(model, ModelInput(ROWS, COLUMNS)) == expected


def test_a_model_fitted_on_a_dataframe_is_given_one() -> None:
    require_extra("sklearn", "models")
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(pd.DataFrame(X, columns=["b", "a"]), [1.0, 2.0, 3.0, 4.0])
    rows = [{"a": 1.0, "b": 2.0}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn warns when given an array instead
        found = by_name("sklearn").predict(model, ModelInput(rows, ["b", "a"], ["b", "a"]))
    assert found == pytest.approx(model.predict(pd.DataFrame([[2.0, 1.0]], columns=["b", "a"])))
    assert isinstance(found[0], float)


def test_a_function_is_given_the_rows_as_dicts_of_its_columns() -> None:
    rows = [{**row, "unused": 100.0} for row in ROWS]
    given = ModelInput(rows, COLUMNS)
    assert detect(doubled_sums).predict(doubled_sums, given) == [6.0, 1.0, 4.0]


def test_a_torch_module_gives_its_last_output_from_float32() -> None:
    torch = require_extra("torch", "torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 3)
    rows = [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": -1.0}]
    found = detect(model).predict(model, ModelInput(rows, COLUMNS))
    with torch.no_grad():
        expected = model(torch.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=torch.float32))[:, -1]
    assert found == [float(v) for v in expected]


def test_no_module_but_the_flavors_names_a_flavor() -> None:
    package = Path(featurehouse.__file__).parent
    named = re.compile(r"""flavor\s*(==|!=|in\b)|["'](python_function|pytorch)["']""")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "flavors.py" and named.search(path.read_text())
    ]
    assert offenders == []
