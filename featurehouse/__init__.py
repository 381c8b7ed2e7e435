"""featurehouse: a feature store and ML platform for the feature / training / inference
architecture, embedded by default (SQLite, Delta Lake, DuckDB).

>>> import featurehouse as fh
>>> fs = fh.connect()
>>> fg = fs.create_feature_group("transactions", primary_key=["cc_num"], event_time="ts", online=True)
>>> fg.insert(df)
>>> fg.get_online({"cc_num": 1})

Importing this package loads no heavy library; they load when first used.
"""

from featurehouse import repo as repo
from featurehouse.errors import FeaturehouseError
from featurehouse.feature_group import Commit, FeatureGroup
from featurehouse.feature_view import FeatureView
from featurehouse.frames import Result
from featurehouse.query import Query
from featurehouse.store import FeatureStore, connect
from featurehouse.training_dataset import TrainingDataset
from featurehouse.transforms.base import Transform
from featurehouse.transforms.on_demand import on_demand
from featurehouse.validation import expect
from featurehouse.validation.user_checks import check
from featurehouse.writer import WriteResult

__all__ = [
    "Commit",
    "FeatureGroup",
    "FeatureStore",
    "FeatureView",
    "FeaturehouseError",
    "Query",
    "Result",
    "TrainingDataset",
    "Transform",
    "WriteResult",
    "check",
    "connect",
    "expect",
    "on_demand",
]
__version__ = "0.1.0"
