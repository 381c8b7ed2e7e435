"""The point-in-time SQL of the DuckDB engine, pinned in golden files (tests/engine/golden/).

Each case builds the SQL ``as_of_join`` would run (``duckdb_sql.as_of_join_sql``: nothing
runs) and compares it with ``golden/<case>.sql``, so that a change of the generated SQL
shows in review as a diff of those files. Its correctness is the conformance suite's job
(test_conformance.py); after an intended change, rewrite the files with

    FH_UPDATE_GOLDEN=1 python -m pytest tests/engine/test_golden_sql.py

and review the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from featurehouse.engine.base import AsOfSource
from featurehouse.engine.duckdb_sql import as_of_join_sql

GOLDEN = Path(__file__).parent / "golden"


def _dataset(**columns: pa.DataType) -> ds.Dataset:
    return ds.dataset(pa.schema(columns).empty_table())


TRANSACTIONS = AsOfSource(
    _dataset(cc_num=pa.int64(), ts=pa.timestamp("us"), amount=pa.float64(), merchant=pa.int64()),
    keys=("cc_num",),
    left_on=("cc_num",),
    event_time="ts",
    columns=(("amount", "amount"), ("merchant", "merchant")),
)
PROFILES = AsOfSource(
    _dataset(card=pa.int64(), updated=pa.timestamp("us"), city=pa.string(), age=pa.int64()),
    keys=("card",),
    left_on=("cc_num",),
    event_time="updated",
    columns=(("city", "p_city"), ("age", "p_age")),
)
MERCHANTS = AsOfSource(  # joined on the transactions' output "merchant"
    _dataset(id=pa.int64(), ts=pa.timestamp("us"), category=pa.string()),
    keys=("id",),
    left_on=("merchant",),
    event_time="ts",
    columns=(("category", "m_category"),),
)
CASES = {
    "one_source": [TRANSACTIONS],
    "two_sources": [TRANSACTIONS, PROFILES],
    "chained_source": [TRANSACTIONS, MERCHANTS],
    "ttl": [
        replace(TRANSACTIONS, ttl=timedelta(days=1)),
        replace(MERCHANTS, ttl=timedelta(microseconds=1)),
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_point_in_time_sql_is_the_golden_one(case: str) -> None:
    sql = as_of_join_sql("ts", CASES[case])
    path = GOLDEN / f"{case}.sql"
    if os.environ.get("FH_UPDATE_GOLDEN") == "1":
        path.write_text(sql)
    assert path.exists(), f"{path} is missing: run with FH_UPDATE_GOLDEN=1 to write it"
    assert sql == path.read_text(), f"the SQL of {case} changed: see the module docstring"
