"""The feature store: the entry point to a project's objects (a thin facade over its services)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from featurehouse.config import Settings
from featurehouse.core.frames import Result
from featurehouse.models.platform import Platform

if TYPE_CHECKING:
    from featurehouse.models.deployments import Deployment
    from featurehouse.monitoring.service import Monitoring


def connect(
    home: str | os.PathLike[str] | None = None,
    *,
    catalog: str | None = None,
    offline: str | None = None,
    online: str | None = None,
) -> FeatureStore:
    """Open (or create) a project: ``./.featurehouse``, ``$FEATUREHOUSE_HOME``, or ``home``.

    >>> fs = featurehouse.connect()                     # embedded: SQLite + Delta + DuckDB
    >>> fs = featurehouse.connect("/srv/fh", online="redis://127.0.0.1:6379/0")
    """
    return FeatureStore(Settings.load(home, catalog=catalog, offline=offline, online=online))


class FeatureStore(Platform):
    """A project: its feature groups and views, models, deployments and monitoring."""

    @cached_property
    def monitoring(self) -> Monitoring:
        """Monitors of drift with alerts and reports, outcome metrics, and skew."""
        from featurehouse.monitoring.service import Monitoring

        return Monitoring(self, self._services)

    def deploy(
        self,
        name: str,
        *,
        model: str | None = None,
        version: int | None = None,
        split: Mapping[int, float] | None = None,
        note: str = "",
        missing_entities: str | None = None,
    ) -> Deployment:
        """Serve a model version under ``name``, or split traffic between versions;
        ``missing_entities="refuse"`` refuses predictions for entities not in the online
        store (default ``"predict"``: flagged ``found: false``).

        >>> fs.deploy("fraud", model="fraud_xgb", version=3)
        >>> fs.deploy("fraud", split={3: 0.9, 4: 0.1})     # an A/B test, sticky per entity
        """
        return self.deployments.deploy(
            name,
            model=model,
            version=version,
            split=split,
            note=note,
            missing_entities=missing_entities,
        )

    def rollback(self, name: str) -> Deployment:
        """Restore a deployment's previous revision."""
        return self.deployments.rollback(name)

    def batch_predict(
        self, name: str, start: datetime | str | None = None, end: datetime | str | None = None
    ) -> Result:
        """Score every entity the deployment's view saw in ``[start, end]`` (features as of
        ``end``) and append the predictions, with model versions, to ``<name>_inference``."""
        from featurehouse.serving.batch import batch_predict

        return Result(batch_predict(self, name, start, end)[0])

    def log_outcomes(self, deployment: str, outcomes: Any) -> int:
        """Record outcomes (``request_id``, ``outcome``) of served predictions."""
        from featurehouse.serving.prediction_log import log_outcomes

        return log_outcomes(self, deployment, outcomes)

    def predictions_with_outcomes(
        self,
        deployment: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> Result:
        """The predictions a deployment logged in ``[start, end)``, each with its latest
        outcome (``outcome``, ``outcome_ts``; null while none is logged), by time."""
        from featurehouse.monitoring.outcomes import predictions_with_outcomes

        return Result(predictions_with_outcomes(self, deployment, start, end))
