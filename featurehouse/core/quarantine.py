"""The quarantine of a feature group: rows that failed its expectations, kept in a Delta
table of their own (``_quarantine_<group>_v<version>``) with the names of the expectations
each failed, until someone fixes and re-inserts them.

Besides the group's columns a quarantined row has ``_fh_failed_expectations`` (a list of
names), ``_fh_report`` (the validation report's number) and ``_fh_quarantined_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from featurehouse.errors import NotFoundError

if TYPE_CHECKING:
    from featurehouse.catalog.records import FeatureGroupSpec
    from featurehouse.core.services import Services
    from featurehouse.validation.evaluate import Evaluation

FAILED = "_fh_failed_expectations"
REPORT = "_fh_report"
QUARANTINED_AT = "_fh_quarantined_at"
REASONS = (FAILED, REPORT, QUARANTINED_AT)


def table_id(spec: FeatureGroupSpec) -> str:
    return f"_quarantine_{spec.table_id}"


def split_rows(table: pa.Table, evaluation: Evaluation) -> tuple[pa.Table, pa.Table]:
    """(valid rows, invalid rows with the names of the expectations each failed).

    A failed batch-level expectation (a mean, a row count) blames no single row: every
    row is invalid then, and carries its name.
    """
    import numpy as np

    failed = [r for r in evaluation.results if not r.success]
    if not failed:
        return table, table.slice(0, 0).append_column(FAILED, pa.array([], pa.list_(pa.string())))
    invalid = evaluation.invalid()
    # one column per failed expectation, for the invalid rows only: did this row fail it?
    flags = np.column_stack(
        [
            pc.filter(evaluation.masks[r.name], invalid).to_numpy(zero_copy_only=False)
            if r.row_level
            else np.ones(pc.sum(invalid).as_py() or 0, dtype=bool)
            for r in failed
        ]
    )
    _, which = np.nonzero(flags)  # row-major: each row's failed expectations, in suite order
    offsets = np.concatenate([[0], np.cumsum(flags.sum(axis=1))]).astype(np.int32)
    names = pa.array([r.name for r in failed]).take(pa.array(which))
    reasons = pa.ListArray.from_arrays(pa.array(offsets), names)
    bad = table.filter(invalid).append_column(FAILED, reasons)
    return table.filter(pc.invert(invalid)), bad


def write(services: Services, spec: FeatureGroupSpec, rows: pa.Table, report: int) -> None:
    """Append quarantined rows (with their reasons) to the group's quarantine table."""
    from featurehouse.types import utc_timestamp

    rows = rows.append_column(REPORT, pa.repeat(pa.scalar(report, pa.int64()), rows.num_rows))
    now = pa.scalar(datetime.now(UTC), utc_timestamp())
    rows = rows.append_column(QUARANTINED_AT, pa.repeat(now, rows.num_rows))
    offline = services.offline
    offline.create(table_id(spec), rows.schema, change_feed=False)
    offline.append(offline.open(table_id(spec)), rows, "quarantine")


def read(services: Services, spec: FeatureGroupSpec, report: int | None, reasons: bool) -> pa.Table:
    """The quarantined rows (of one report), oldest first."""
    import pyarrow.dataset as ds

    try:
        dataset = services.offline.dataset(services.offline.open(table_id(spec)))
    except NotFoundError:  # nothing was ever quarantined
        return pa.schema([] if spec.schema is None else spec.schema).empty_table()
    rows = dataset.to_table(filter=None if report is None else ds.field(REPORT) == report)
    rows = rows.sort_by([(REPORT, "ascending")])
    return rows if reasons else rows.drop_columns(list(REASONS))


def clear(services: Services, spec: FeatureGroupSpec, report: int | None) -> int:
    """Delete quarantined rows (of one report, or all); returns how many."""
    try:
        table = services.offline.open(table_id(spec))
    except NotFoundError:
        return 0
    predicate = f"{REPORT} IS NOT NULL" if report is None else f"{REPORT} = {int(report)}"
    return services.offline.delete_where(table, predicate, "clear quarantine").rows_deleted
