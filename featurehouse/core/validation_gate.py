"""Validation in the insert path: check the prepared batch before the offline commit.

``on_invalid="raise"``: a batch with any failed expectation writes nothing; the report is
stored and attached to the ValidationError. ``"quarantine"``: the valid rows are
committed, the invalid ones go to the quarantine table with the names of the expectations
they failed. A failed batch-level expectation (mean, row count...) blames no single row,
so under quarantine the whole batch is quarantined and nothing is committed.

The report is stored after the commit (it records the commit's version), then the
quarantined rows are written: re-running an insert that died after its commit upserts the
same valid rows again and quarantines the invalid ones once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.core import quarantine
from featurehouse.core.writer import WriteResult
from featurehouse.errors import NotFoundError, ValidationError
from featurehouse.validation.evaluate import Evaluation, evaluate
from featurehouse.validation.report import ValidationReport, store_report
from featurehouse.validation.suite import ExpectationSuite, check_policy, current_suite

if TYPE_CHECKING:
    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.core.ingest import PreparedBatch
    from featurehouse.core.services import Services


@dataclass(frozen=True)
class CheckedInsert:
    """The rows to commit (``batch``, None when no row is valid), and what to record after."""

    batch: PreparedBatch | None
    services: Services | None = None
    spec: FeatureGroupSpec | None = None
    report: ValidationReport | None = None
    invalid: pa.Table | None = None

    def finish(self, result: WriteResult | None) -> WriteResult:
        """Store the report (with the commit's version), quarantine the invalid rows."""
        if self.report is None:
            assert result is not None
            return result
        assert self.services is not None and self.spec is not None
        if result is None:
            result = WriteResult(self.spec.label, _current_version(self.services, self.spec))
        commit = None if self.batch is None else result.version
        report = store_report(
            self.services.catalog, self.spec, replace(self.report, commit_version=commit)
        )
        quarantined = 0 if self.invalid is None else self.invalid.num_rows
        if quarantined:
            assert self.invalid is not None
            quarantine.write(self.services, self.spec, self.invalid, report.number)
        return replace(result, rows_quarantined=quarantined, validation_report=report.number)


def check_insert(
    services: Services, spec: FeatureGroupSpec, batch: PreparedBatch, on_invalid: str | None
) -> CheckedInsert:
    """Validate ``batch`` against the group's current suite; raise under the raise policy."""
    obj = f"feature group {spec.label}"
    if on_invalid is not None:
        check_policy(obj, on_invalid)
    suite = current_suite(services.catalog, spec)
    if suite is None or not suite.expectations:
        return CheckedInsert(batch)
    policy = on_invalid or suite.on_invalid
    evaluation = evaluate(obj, suite.expectations, batch.table, services.settings.trusted_modules)
    if evaluation.success:
        return CheckedInsert(batch, services, spec, _report(spec, suite, policy, evaluation, 0))
    if policy == "raise":
        failed = _report(spec, suite, policy, evaluation, 0)
        report = store_report(services.catalog, spec, failed)
        first = next(r for r in report.results if not r.success)  # names the column
        raise ValidationError(
            f"{obj}: {report.rows_failed} of {report.rows_checked} row(s) failed expectation(s) "
            f"{report.failed_expectations} (suite version {suite.version}); nothing was written. "
            f"Validation report {report.number}: fg.validation_reports()[-1]",
            obj=spec.label,
            column=first.column,
            expected=report.failed_expectations,
            received={
                r.name: r.failed_rows if r.row_level else r.observed
                for r in report.results
                if not r.success
            },
            report=report,
        )
    valid, invalid = quarantine.split_rows(batch.table, evaluation)
    report = _report(spec, suite, policy, evaluation, invalid.num_rows)
    rows = replace(batch, table=valid) if valid.num_rows else None
    return CheckedInsert(rows, services, spec, report, invalid)


def _report(
    spec: FeatureGroupSpec,
    suite: ExpectationSuite,
    policy: str,
    evaluation: Evaluation,
    quarantined: int,
) -> ValidationReport:
    return ValidationReport(
        feature_group=spec.label,
        number=0,  # given when stored
        time=datetime.now(UTC),
        suite_version=suite.version,
        on_invalid=policy,
        rows_checked=evaluation.rows,
        rows_failed=_rows_failed(evaluation),
        rows_quarantined=quarantined,
        commit_version=None,
        results=evaluation.results,
    )


def _rows_failed(evaluation: Evaluation) -> int:
    return int(pc.sum(evaluation.invalid()).as_py() or 0)


def _current_version(services: Services, spec: FeatureGroupSpec) -> int:
    try:
        return int(services.offline.open(spec.table_id).version())
    except NotFoundError:
        return -1
