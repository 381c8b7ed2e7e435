"""Feature pipeline: source readings and weather -> the feature groups ``weather`` (daily,
observed and forecast) and ``air_quality`` (daily PM2.5 with its lags and rolling means,
computed with DuckDB window functions).

``air_quality`` gets a row for every day with a reading and for the next day, whose PM2.5
is not known yet but whose lags are: the row a forecast for that day is made from. Runs
daily (inserts are upserts on sensor and day, so a rerun changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import featurehouse as fh
from featurehouse.examples.air_quality.generate import EXAMPLE, read_size
from featurehouse.examples.common import (
    feature_groups,
    parse_project,
    print_writes,
    read_table,
    source_dir,
)

# feature -> (aggregate, first and last day before the row's day)
WINDOWS = {
    "pm25_lag1": ("max", 1, 1),
    "pm25_lag2": ("max", 2, 2),
    "pm25_lag7": ("max", 7, 7),
    "pm25_mean_7d": ("avg", 7, 1),
    "pm25_mean_30d": ("avg", 30, 1),
}


GROUPS = {
    "weather": ("sensor_id", "Daily weather at each sensor: observed, and forecast ahead"),
    "air_quality": (
        "sensor_id",
        "Daily PM2.5 per sensor with its lags and rolling means over the days before",
    ),
}


def groups(fs: fh.FeatureStore) -> dict[str, fh.FeatureGroup]:
    """The example's feature groups (offline only: forecasts are made in batch)."""
    return feature_groups(fs, EXAMPLE, GROUPS, online=False)


def daily_features(readings: Any, days: Any) -> Any:
    """PM2.5 and its window features for each (sensor, day) of ``days`` (readings may be
    missing, e.g. for the day to forecast)."""
    import duckdb

    windows = ",\n".join(
        f"{agg}(pm25) OVER (PARTITION BY sensor_id ORDER BY ts RANGE BETWEEN INTERVAL "
        f"{first} DAY PRECEDING AND INTERVAL {last} DAY PRECEDING) AS {name}"
        for name, (agg, first, last) in WINDOWS.items()
    )
    sql = f"""
        SELECT d.sensor_id, d.ts, r.pm25, {windows}
        FROM days d LEFT JOIN readings r USING (sensor_id, ts)
        ORDER BY sensor_id, ts
    """
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("readings", readings)
        con.register("days", days)
        table = con.sql(sql).to_arrow_table()
    ts = table.schema.get_field_index("ts")
    return table.set_column(ts, "ts", table.column(ts).cast(pa.timestamp("us", tz="UTC")))


def run(project: Path) -> dict[str, fh.WriteResult]:
    """Write the weather and the daily air-quality features; returns the write results."""
    directory = source_dir(project, EXAMPLE)
    weather = read_table(directory, "weather")
    readings = read_table(directory, "readings")
    next_day = read_size(project).end + timedelta(days=1)
    days = weather.select(["sensor_id", "ts"])
    days = days.filter(pc.less_equal(days["ts"], next_day))
    with fh.connect(project) as fs:
        target = groups(fs)
        return {
            "weather": target["weather"].insert(weather),
            "air_quality": target["air_quality"].insert(daily_features(readings, days)),
        }


def main(argv: Sequence[str] | None = None) -> None:
    print_writes(run(parse_project(__doc__ or "", argv)))


if __name__ == "__main__":
    main()
