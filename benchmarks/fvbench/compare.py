"""Correctness: a contender's training data against the hand-written DuckDB result.

Rows are matched on the spine row index (``row``, which every contender carries through,
so the match is that of sorting both by (entity, ts, row)). A matched row mismatches when
its entity, its time or any of the 30 features differs (beyond a relative tolerance; a
null against a value counts). DuckDB over the Parquet files, in the parent process.
"""

from __future__ import annotations

from pathlib import Path

from fgbench.measure import Result

from .data import GROUPS, all_features, feature_names, group_names

TOLERANCE = 1e-9  # relative (absolute below 1)


def _differs(column: str) -> str:
    r, g = f'r."{column}"', f'g."{column}"'
    return (
        f"(({r} IS NULL) <> ({g} IS NULL) OR "
        f"abs({r} - {g}) > {TOLERANCE} * greatest(1.0, abs({r})))"
    )


def compare(reference: Path, result: Path, data: Path, spine_rows: int) -> Result:
    """Counts of missing, extra, duplicated and mismatching rows of ``result``; of the
    mismatching rows, how many have a spine time equal to a group row's of their entity
    (the groups and the spine are the Parquet files in ``data``)."""
    import duckdb

    features = all_features()
    row_differs = " OR ".join(
        ["r.entity_id <> g.entity_id", "r.ts::TIMESTAMPTZ <> g.ts::TIMESTAMPTZ"]
        + [_differs(f) for f in features]
    )
    values_differ = " + ".join(f"({_differs(f)})::INT" for f in features)
    # A spine row whose entity has no row at or before its time in some group.
    no_row = " OR ".join(f'r."{feature_names(g)[0]}" IS NULL' for g in range(1, GROUPS + 1))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.sql(f"CREATE VIEW r AS SELECT * FROM read_parquet('{reference}')")
    con.sql(f"CREATE VIEW g AS SELECT * FROM read_parquet('{result}')")
    groups = " UNION ALL ".join(
        f"SELECT entity_id, ts FROM read_parquet('{data / name}.parquet')" for name in group_names()
    )
    con.sql(
        f"CREATE VIEW exact AS SELECT s.row FROM read_parquet('{data / 'spine.parquet'}') s "
        f"SEMI JOIN ({groups}) t ON s.entity_id = t.entity_id AND s.ts = t.ts"
    )
    rows, distinct = con.execute('SELECT count(*), count(DISTINCT "row") FROM g').fetchone() or (
        0,
        0,
    )
    sql = f"""
        SELECT
            count(*) FILTER (WHERE g."row" IS NULL),
            count(*) FILTER (WHERE g."row" IS NULL AND ({no_row})),
            count(*) FILTER (WHERE r."row" IS NULL),
            count(*) FILTER (WHERE r."row" IS NOT NULL AND g."row" IS NOT NULL AND ({row_differs})),
            coalesce(sum(CASE WHEN r."row" IS NOT NULL AND g."row" IS NOT NULL
                         THEN {values_differ} END), 0),
            count(*) FILTER (WHERE r."row" IS NOT NULL AND g."row" IS NOT NULL AND ({row_differs})
                             AND r."row" IN (SELECT "row" FROM exact)),
            (SELECT count(*) FROM exact)
        FROM r FULL OUTER JOIN g ON r."row" = g."row"
    """
    found = con.execute(sql).fetchone() or (0,) * 7
    missing, missing_no_row, extra, mismatching, values, mismatching_exact, exact = found
    con.close()
    return {
        "rows": rows,
        "spine_rows": spine_rows,
        "missing": missing,
        "missing_no_row": missing_no_row,
        "extra": extra,
        "duplicates": rows - distinct,
        "mismatching_rows": mismatching,
        "mismatching_values": int(values),
        "mismatching_exact_time": mismatching_exact,
        "exact_time_rows": exact,
        "identical": rows == spine_rows
        and missing == 0
        and extra == 0
        and rows == distinct
        and mismatching == 0,
    }
