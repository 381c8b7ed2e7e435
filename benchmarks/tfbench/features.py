"""The benchmark view: 3 online feature groups x 10 features, 2 on-demand features.

Group ``gK`` holds ``fK_0`` .. ``fK_8`` (float64) and ``cK`` (a string category). The view
scales ``fK_0`` .. ``fK_4`` with ``standard_scaler``, ``fK_5`` .. ``fK_8`` with
``min_max_scaler`` and one-hot encodes ``cK``: 30 transformed features, 48 columns out. The
on-demand features take the request parameter ``amount`` and stored features; they are
left as they are (``remainder="passthrough"`` on the scikit-learn side).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featurehouse.transforms.on_demand import on_demand

if TYPE_CHECKING:
    from featurehouse.transforms.base import Transform

GROUPS = 3
FLOATS = 9  # fK_0 .. fK_8
STANDARD = 5  # fK_0 .. fK_4 standard_scaler, the rest min_max_scaler
CATEGORIES = ["amber", "blue", "green", "red", "teal", "violet"]
KEY, EVENT_TIME, REQUEST = "entity_id", "ts", "amount"


@on_demand
def amount_ratio(amount: float, f0_0: float) -> float:
    """The request's amount against a stored feature."""
    return amount / (abs(f0_0) + 1.0)


@on_demand
def amount_gap(amount: float, f1_5: float, f2_5: float) -> float:
    """The amount beyond the sum of two stored features."""
    return amount - (f1_5 + f2_5)


ON_DEMAND = [amount_ratio, amount_gap]


def standard_columns() -> list[str]:
    return [f"f{g}_{i}" for g in range(GROUPS) for i in range(STANDARD)]


def min_max_columns() -> list[str]:
    return [f"f{g}_{i}" for g in range(GROUPS) for i in range(STANDARD, FLOATS)]


def category_columns() -> list[str]:
    return [f"c{g}" for g in range(GROUPS)]


def features() -> list[str]:
    """The view's features, in its order: each group's, then the on-demand ones."""
    per_group = [[*(f"f{g}_{i}" for i in range(FLOATS)), f"c{g}"] for g in range(GROUPS)]
    return [name for group in per_group for name in group] + [f.name for f in ON_DEMAND]


def transforms() -> dict[str, Transform]:
    from featurehouse.transforms.builtin import min_max_scaler, one_hot_encoder, standard_scaler

    out: dict[str, Transform] = {}
    out.update({name: standard_scaler() for name in standard_columns()})
    out.update({name: min_max_scaler() for name in min_max_columns()})
    out.update({name: one_hot_encoder() for name in category_columns()})
    return out


def column_transformer() -> Any:
    """scikit-learn's equivalent of ``transforms()``: dense output, names without prefixes
    (``f0_0``, ``c0_red``: featurehouse's names), unknown categories to all zeros."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            ("standard", StandardScaler(), standard_columns()),
            ("min_max", MinMaxScaler(), min_max_columns()),
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                category_columns(),
            ),
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )
