"""featurehouse: a feature store and ML platform for the feature / training / inference
architecture, embedded by default (SQLite, Delta Lake, DuckDB).

>>> import featurehouse as fh
>>> fs = fh.connect()
>>> fg = fs.create_feature_group("transactions", primary_key=["cc_num"], event_time="ts", online=True)
>>> fg.insert(df)
>>> fg.get_online({"cc_num": 1})

These names are the public API (with ``featurehouse.errors``, ``featurehouse.types`` and
``featurehouse.config``); every other module is internal. Importing this package loads
nothing: each name loads its module on first use (PEP 562), so modules below may import
pyarrow and friends at their top.
"""

import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:
    from featurehouse import repo as repo
    from featurehouse.core.feature_group import FeatureGroup as FeatureGroup
    from featurehouse.core.feature_view import FeatureView as FeatureView
    from featurehouse.core.frames import Result as Result
    from featurehouse.core.query import Query as Query
    from featurehouse.core.training_dataset import TrainingDataset as TrainingDataset
    from featurehouse.core.writer import WriteResult as WriteResult
    from featurehouse.errors import FeaturehouseError as FeaturehouseError
    from featurehouse.offline.base import Commit as Commit
    from featurehouse.store import FeatureStore as FeatureStore
    from featurehouse.store import connect as connect
    from featurehouse.transforms.base import Transform as Transform
    from featurehouse.transforms.on_demand import on_demand as on_demand
    from featurehouse.validation import expect as expect
    from featurehouse.validation.user_checks import check as check

# public name -> (module, attribute; None for the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "Commit": ("featurehouse.offline.base", "Commit"),
    "FeatureGroup": ("featurehouse.core.feature_group", "FeatureGroup"),
    "FeatureStore": ("featurehouse.store", "FeatureStore"),
    "FeatureView": ("featurehouse.core.feature_view", "FeatureView"),
    "FeaturehouseError": ("featurehouse.errors", "FeaturehouseError"),
    "Query": ("featurehouse.core.query", "Query"),
    "Result": ("featurehouse.core.frames", "Result"),
    "TrainingDataset": ("featurehouse.core.training_dataset", "TrainingDataset"),
    "Transform": ("featurehouse.transforms.base", "Transform"),
    "WriteResult": ("featurehouse.core.writer", "WriteResult"),
    "check": ("featurehouse.validation.user_checks", "check"),
    "connect": ("featurehouse.store", "connect"),
    "expect": ("featurehouse.validation.expect", None),
    "on_demand": ("featurehouse.transforms.on_demand", "on_demand"),
    "repo": ("featurehouse.repo", None),
}

__all__ = sorted(_EXPORTS.keys() - {"repo"})  # fh.repo: reachable, not star-exported


def __getattr__(name: str) -> _typing.Any:
    if name == "__version__":
        from importlib import metadata

        return metadata.version("featurehouse")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'featurehouse' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = _import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return [*globals(), *_EXPORTS]
