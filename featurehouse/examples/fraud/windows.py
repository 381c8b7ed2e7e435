"""Windowed transaction aggregates per card, with DuckDB window functions.

For each transaction of a card at time ``t``: how many transactions the card made, and
for how much, in ``[t - window, t]`` (the transaction itself and any at the same instant
included), and the time of its latest transaction strictly before ``t``. A streaming
pipeline would keep the same state; here the feature pipeline computes it from the
source transactions.
"""

from __future__ import annotations

import pyarrow as pa

# feature suffix -> DuckDB interval
WINDOWS = {"10m": "10 MINUTE", "1h": "1 HOUR", "1d": "1 DAY"}


def card_activity(transactions: pa.Table) -> pa.Table:
    """``tx_id``, ``cc_num``, ``ts``, ``merchant_id``, ``amount``, ``tx_count_<w>`` and
    ``amount_sum_<w>`` per window, and ``prev_unix`` (epoch seconds of the card's previous
    transaction, null for its first), one row per transaction, in time order."""
    import duckdb

    def frame(preceding: str) -> str:
        return f"OVER (PARTITION BY cc_num ORDER BY ts RANGE BETWEEN {preceding} PRECEDING AND CURRENT ROW)"

    aggregates = ",\n".join(
        f"count(*) {frame('INTERVAL ' + w)} AS tx_count_{name},\n"
        f"sum(amount) {frame('INTERVAL ' + w)} AS amount_sum_{name}"
        for name, w in WINDOWS.items()
    )
    previous = (
        "max(ts) OVER (PARTITION BY cc_num ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING "
        "AND INTERVAL 1 MICROSECOND PRECEDING)"
    )
    sql = f"""
        SELECT tx_id, cc_num, ts, merchant_id, amount,
               {aggregates},
               epoch_us({previous}) / 1e6 AS prev_unix
        FROM transactions
        ORDER BY ts, tx_id
    """
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")  # a day is 24 hours, whatever the machine's zone
        columns = ["tx_id", "cc_num", "ts", "merchant_id", "amount"]
        con.register("transactions", transactions.select(columns))
        table = con.sql(sql).to_arrow_table()
    ts = table.schema.get_field_index("ts")
    return table.set_column(ts, "ts", table.column(ts).cast(pa.timestamp("us", tz="UTC")))
