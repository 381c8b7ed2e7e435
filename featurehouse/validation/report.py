"""Validation reports: what each expectation found in one insert, kept in the catalog.

A report is a catalog entry of kind ``validation_report``, named after the feature
group's table (``transactions_v1``); its catalog version is the report's number, 1, 2, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from featurehouse.catalog.codec import Record
from featurehouse.catalog.numbering import create_next

if TYPE_CHECKING:
    from featurehouse.catalog.base import Catalog
    from featurehouse.catalog.records import FeatureGroupSpec

VALIDATION_REPORT = "validation_report"


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's verdict.

    Row-level: ``failed_rows`` of ``checked_rows`` values failed, ``unexpected`` holds up
    to five distinct failing values. Batch-level: ``observed`` is the measured statistic.
    """

    name: str
    kind: str
    column: str | None
    success: bool
    row_level: bool
    checked_rows: int
    failed_rows: int = 0
    observed: Any = None
    unexpected: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ValidationReport(Record):
    """The validation of one insert. ``commit_version`` is the Delta version the valid rows
    were committed in, or None when nothing was written."""

    json_properties = ("success",)

    feature_group: str
    number: int
    time: datetime
    suite_version: int
    on_invalid: str
    rows_checked: int
    rows_failed: int
    rows_quarantined: int
    commit_version: int | None
    results: list[ExpectationResult]

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def failed_expectations(self) -> list[str]:
        return [r.name for r in self.results if not r.success]

    def __str__(self) -> str:
        verdict = "passed" if self.success else f"failed {self.failed_expectations}"
        return (
            f"validation report {self.number} of {self.feature_group}: {verdict}; "
            f"{self.rows_failed} of {self.rows_checked} row(s) failed"
        )


def store_report(
    catalog: Catalog, spec: FeatureGroupSpec, report: ValidationReport
) -> ValidationReport:
    """Store ``report`` under the next free number (concurrent writers each get their own)."""
    entry = create_next(
        catalog,
        VALIDATION_REPORT,
        spec.table_id,
        lambda number: replace(report, number=number).to_json(),
    )
    return ValidationReport.from_entry(entry)


def list_reports(catalog: Catalog, spec: FeatureGroupSpec) -> list[ValidationReport]:
    """Every report of the group, oldest first."""
    entries = catalog.list(VALIDATION_REPORT, spec.table_id)
    return [ValidationReport.from_entry(e) for e in entries]
