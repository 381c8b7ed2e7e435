"""Fitting a view's model-dependent transforms on training rows, and applying the fitted
statistics to tables (training, test, batch) and to single vectors (online)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pyarrow as pa

from featurehouse.errors import DataError
from featurehouse.transforms.base import Column, Stats, Transform

T = TypeVar("T")
Statistics = dict[str, Stats]  # feature -> fitted statistics


def _guarded(transform: Transform, feature: str, step: str, run: Callable[..., T], *args: Any) -> T:
    """Run a transform's step; its failure names the transform and the feature."""
    try:
        return run(*args)
    except Exception as exc:
        raise DataError(
            f"transform {transform.name!r} of feature {feature!r} failed to {step}: "
            f"{type(exc).__name__}: {exc}",
            obj=transform.name,
            column=feature,
        ) from exc


def fit(transforms: Mapping[str, Transform], table: pa.Table) -> Statistics:
    """Statistics of every transformed feature over ``table`` (the train split)."""
    return {
        feature: _guarded(t, feature, "fit", t.fit_column, table.column(feature))
        for feature, t in transforms.items()
    }


def output_names(
    features: Sequence[str], transforms: Mapping[str, Transform], stats: Statistics
) -> list[str]:
    """The feature columns after transformation, in the view's order."""
    names: list[str] = []
    for feature in features:
        transform = transforms.get(feature)
        names += [feature] if transform is None else transform.outputs(feature, stats[feature])
    return names


def transform_table(
    table: pa.Table, transforms: Mapping[str, Transform], stats: Statistics
) -> pa.Table:
    """``table`` with each transformed feature replaced by its output column(s)."""
    columns: list[Column] = []
    names: list[str] = []
    for name in table.column_names:
        transform = transforms.get(name)
        if transform is None:
            columns.append(table.column(name))
            names.append(name)
            continue
        fitted = stats[name]
        columns += _guarded(
            transform, name, "apply", transform.apply_column, table.column(name), fitted
        )
        names += transform.outputs(name, fitted)
    return pa.Table.from_arrays(columns, names=names)


class VectorTransform:
    """A view's transforms with their fitted statistics, prepared once to transform many
    single vectors fast (the online path: no numpy, no Arrow)."""

    def __init__(self, transforms: Mapping[str, Transform], stats: Statistics) -> None:
        self._steps = {
            name: (t, stats[name], t.outputs(name, stats[name])) for name, t in transforms.items()
        }

    def __call__(self, vector: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in vector.items():
            step = self._steps.get(name)
            if step is None:
                out[name] = value
                continue
            transform, fitted, names = step
            values = _guarded(transform, name, "apply", transform.apply_one, value, fitted)
            out.update(zip(names, values, strict=True))
        return out


def transform_vector(
    vector: Mapping[str, Any], transforms: Mapping[str, Transform], stats: Statistics
) -> dict[str, Any]:
    """One feature vector transformed (prepare a ``VectorTransform`` to do many)."""
    return VectorTransform(transforms, stats)(vector)
