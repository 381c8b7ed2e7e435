"""A feature repo: feature groups, views and deployments declared in Python files, planned
against the catalog and applied (``featurehouse plan`` / ``featurehouse apply``).

>>> import featurehouse as fh
>>> transactions = fh.repo.FeatureGroup(name="transactions", primary_key=["cc_num"],
...     event_time="ts", schema={"cc_num": "int64", "ts": "timestamp", "amount": "float64"})
"""

from featurehouse.repo.declarations import Deployment, FeatureGroup, FeatureView

__all__ = ["Deployment", "FeatureGroup", "FeatureView"]
