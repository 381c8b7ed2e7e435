"""``fs.monitoring``: create and run monitors, read their runs and alerts, and measure
outcomes and training/serving skew of a deployment."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.numbering import create_next
from featurehouse.core.frames import Result
from featurehouse.errors import DataError, NotFoundError, SchemaError
from featurehouse.monitoring import report
from featurehouse.monitoring.alerts import ALERT, raise_alert
from featurehouse.monitoring.monitors import (
    MONITOR,
    MONITOR_RUN,
    Monitor,
    MonitorRun,
    check_thresholds,
    run_monitor,
)
from featurehouse.types import check_object_name

if TYPE_CHECKING:
    from featurehouse.catalog.base import Entry
    from featurehouse.core.services import Services
    from featurehouse.core.training_dataset import TrainingDataset
    from featurehouse.models.platform import Platform


class Monitoring:
    """Monitors of drift, with alerts and reports; outcome metrics; skew.

    >>> fs.monitoring.create("fraud_inputs", deployment="fraud", reference=td,
    ...                      thresholds={"psi": 0.2, "ks_pvalue": 0.01})
    >>> [run.breaches for run in fs.monitoring.run()]
    """

    def __init__(self, store: Platform, services: Services) -> None:
        self._store = store
        self._catalog = services.catalog

    def create(
        self,
        name: str,
        *,
        reference: TrainingDataset,
        deployment: str | None = None,
        split: str = "train",
        features: Sequence[str] | None = None,
        thresholds: Mapping[str, float] | None = None,
        webhook: str | None = None,
    ) -> Monitor:
        """Watch a deployment's inputs and predictions (or, without ``deployment``, the new
        feature data of the reference's view) against a training dataset split. Thresholds
        take drift metrics (``psi``, ``ks``, ``ks_pvalue``, ``chi2``, ``chi2_pvalue``,
        ``js``) and, for a deployment, outcome metrics: ``roc_auc``, ``accuracy``,
        ``precision``, ``recall``, ``f1`` breach below, ``mae`` and ``rmse`` above. Creating
        a monitor that exists makes a new version of it."""
        check_object_name("monitor", name)
        view = self._store.get_feature_view(reference.feature_view, reference.feature_view_version)
        if deployment is not None:
            served = self._store.deployments.get(deployment).feature_view
            if served != (view.name, view.version):
                raise DataError(
                    f"monitor {name!r}: deployment {deployment!r} serves view "
                    f"{served[0]}:{served[1]}, the reference is of {view.label}",
                    obj=name,
                    expected=f"{served[0]}:{served[1]}",
                    received=view.label,
                )
        if split not in reference.splits:
            raise DataError(
                f"monitor {name!r}: the reference has no split {split!r}; it has {reference.splits}",
                obj=name,
                column="split",
                expected=reference.splits,
                received=split,
            )
        chosen = list(view.features if features is None else features)
        unknown = [f for f in chosen if f not in view.features]
        if unknown:
            raise SchemaError(
                f"monitor {name!r}: {unknown} are not features of {view.label}",
                obj=name,
                column=unknown[0],
                expected=view.features,
                received=chosen,
            )
        checked = check_thresholds(name, dict(thresholds or {}), deployment)

        def monitor(version: int) -> Monitor:
            return Monitor(
                name=name,
                version=version,
                feature_view=(view.name, view.version),
                reference=reference.version,
                split=split,
                features=tuple(chosen),
                thresholds=checked,
                deployment=deployment,
                webhook=webhook,
            )

        entry = create_next(self._catalog, MONITOR, name, lambda v: monitor(v).to_json())
        return Monitor.from_entry(entry)

    def get(self, name: str) -> Monitor:
        return Monitor.from_entry(self._catalog.get(MONITOR, name))

    def list(self) -> builtins.list[Monitor]:
        """The latest version of every monitor, by name."""
        latest: dict[str, Entry] = {e.name: e for e in self._catalog.list(MONITOR)}
        return [Monitor.from_entry(e) for e in latest.values()]

    def run(
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        name: str | None = None,
    ) -> builtins.list[MonitorRun]:
        """Run every monitor (or ``name``) over the window ``[start, end)``: each run is
        recorded, breaches alert (and call the webhook), and an HTML report is written."""
        monitors = [self.get(name)] if name is not None else self.list()
        return [self._run_one(m, start, end) for m in monitors]

    def _run_one(self, monitor: Monitor, start: Any, end: Any) -> MonitorRun:
        run, found = run_monitor(self._store, monitor, start, end)
        home = self._store.settings.home

        def numbered(number: int) -> dict[str, Any]:
            path = home / "monitoring" / monitor.name / f"run-{number}.html"
            nonlocal run
            run = replace(run, run=number, report_path=path)
            return run.to_json()

        entry = create_next(self._catalog, MONITOR_RUN, monitor.name, numbered)
        history = self.runs(monitor.name)[:-1]
        if run.breaches:
            run = replace(run, webhook=raise_alert(self._catalog, run, monitor.webhook))
            self._catalog.update(entry, run.to_json())
        report.write(run.report_path, report.render(monitor, run, found, [*history, run]))
        return run

    def runs(self, name: str) -> builtins.list[MonitorRun]:
        """Every recorded run of a monitor, oldest first."""
        return [MonitorRun.from_entry(e) for e in self._catalog.list(MONITOR_RUN, name)]

    def alerts(self, name: str | None = None) -> builtins.list[dict[str, Any]]:
        """Alert records (of one monitor), oldest first per monitor."""
        return [{"monitor": e.name, **e.body} for e in self._catalog.list(ALERT, name)]

    def latest_report(self, name: str | None = None) -> Path:
        """The report of the latest run (of ``name``, or of any monitor)."""
        entries = self._catalog.list(MONITOR_RUN, name)
        if not entries:
            which = f"monitor {name!r} has" if name else "no monitor has"
            raise NotFoundError(f"{which} no runs yet", obj=name or "monitor")
        latest = max(entries, key=lambda e: e.body["started_at"])
        return Path(latest.body["report_path"])

    def outcome_metrics(
        self,
        deployment: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        window: str | None = "1h",
        slice_by: str | None = None,
        task: str | None = None,
    ) -> Result:
        """Accuracy, precision, recall, F1 and ROC AUC (classifiers) or MAE and RMSE
        (regressors) of the predictions that have outcomes, per window and slice."""
        from featurehouse.monitoring.outcomes import outcome_metrics, predictions_with_outcomes

        joined = predictions_with_outcomes(self._store, deployment, start, end)
        return Result(outcome_metrics(joined, window, slice_by, task))

    def skew(
        self,
        deployment: str,
        sample: int = 200,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        seed: int = 0,
    ) -> Result:
        """Features whose served values differ from the same vectors recomputed offline
        (point-in-time at request time) for ``sample`` logged requests."""
        from featurehouse.monitoring.skew import training_serving_skew

        return Result(training_serving_skew(self._store, deployment, sample, start, end, seed))
