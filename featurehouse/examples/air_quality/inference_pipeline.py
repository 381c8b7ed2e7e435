"""Batch inference, run daily by a scheduler: forecasts each sensor's PM2.5 for the day
after the latest reading with ``fs.batch_predict`` (appended to the inference table
``air_quality_inference``), catching up every day missed since the last run (on the
first run, the last ``BACKFILL_DAYS`` days, as if it had run on each), then draws the
forecasts against the actual readings.

Input: the deployment ``air_quality`` and the feature groups. Output: rows in
``air_quality_inference`` and the chart ``<project>/reports/air_quality_forecast.svg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc

import featurehouse as fh
from featurehouse.errors import NotFoundError
from featurehouse.examples.air_quality.chart import forecast_chart
from featurehouse.examples.air_quality.generate import read_size
from featurehouse.examples.air_quality.training_pipeline import DEPLOYMENT, LABEL
from featurehouse.examples.common import parse_project

BACKFILL_DAYS = 30
INFERENCE = f"{DEPLOYMENT}_inference"


@dataclass(frozen=True)
class Forecasts:
    days: list[datetime]  # the days forecast by this run
    rows: int  # forecasts written by this run
    chart: Path
    mae: float | None  # of every forecast whose day has a reading


def run(project: Path, backfill_days: int = BACKFILL_DAYS) -> Forecasts:
    next_day = read_size(project).end + timedelta(days=1)
    with fh.connect(project) as fs:
        done = _last_forecast_day(fs)
        first = (
            next_day - timedelta(days=backfill_days) if done is None else done + timedelta(days=1)
        )
        days = [first + timedelta(days=d) for d in range((next_day - first).days + 1)]
        rows = sum(
            fs.batch_predict(DEPLOYMENT, start=day, end=day).to_arrow().num_rows for day in days
        )
        series, mae = _forecast_vs_actual(fs)
    chart = forecast_chart(series, Path(project) / "reports" / "air_quality_forecast.svg")
    return Forecasts(days, rows, chart, mae)


def _last_forecast_day(fs: fh.FeatureStore) -> datetime | None:
    try:
        table = fs.get_feature_group(INFERENCE).read().to_arrow()
    except NotFoundError:
        return None

    last: datetime | None = pc.max(table["ts"]).as_py()
    return last


Series = dict[int, list[tuple[datetime, float | None, float | None]]]


def _forecast_vs_actual(fs: fh.FeatureStore) -> tuple[Series, float | None]:
    """Per sensor, each forecast day with its forecast and its reading (if any yet), and
    the mean absolute error of the forecasts whose day has a reading."""
    forecasts = fs.get_feature_group(INFERENCE).read().to_arrow().to_pylist()
    first = min(row["ts"] for row in forecasts)
    readings = fs.get_feature_group("air_quality").read(start=first).to_arrow().to_pylist()
    actual = {(row["sensor_id"], row["ts"]): row[LABEL] for row in readings}
    series: Series = {}
    errors: list[float] = []
    for row in sorted(forecasts, key=lambda r: (r["sensor_id"], r["ts"])):
        value = actual.get((row["sensor_id"], row["ts"]))
        series.setdefault(row["sensor_id"], []).append((row["ts"], row["prediction"], value))
        if value is not None:
            errors.append(abs(row["prediction"] - value))
    return series, (sum(errors) / len(errors) if errors else None)


def main(argv: Sequence[str] | None = None) -> None:
    result = run(parse_project(__doc__ or "", argv))
    span = f"{result.days[0]:%Y-%m-%d} to {result.days[-1]:%Y-%m-%d}" if result.days else "none"
    mae = "n/a" if result.mae is None else f"{result.mae:.2f}"
    print(f"{result.rows} forecasts written to {INFERENCE} for days {span}; MAE so far {mae}")
    print(f"chart: {result.chart}")


if __name__ == "__main__":
    main()
