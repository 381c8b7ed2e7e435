"""The air-quality example: a deterministic generator, lag and rolling features equal to a
plain-Python reference, and the whole system run through ``featurehouse run`` as a
scheduler would: forecasts written, a rerun catching up on nothing, the chart drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import featurehouse as fh
from featurehouse.cli.main import app
from featurehouse.examples.air_quality import generate as generate_step
from featurehouse.examples.air_quality.data import SMALL, generate
from featurehouse.examples.air_quality.feature_pipeline import WINDOWS, daily_features
from tests.extras import require_extra

T0 = datetime(2026, 1, 1, tzinfo=UTC)
runner = CliRunner()


def test_the_generator_is_deterministic() -> None:
    first, again = generate(SMALL), generate(SMALL)
    for name in ("weather", "readings"):
        assert first[name].equals(again[name]), name
    other = generate(SMALL.__class__(**{**SMALL.__dict__, "seed": 99}))
    assert not other["readings"].equals(first["readings"])


@pytest.mark.parametrize("seed", [0, 1])
def test_lag_and_rolling_features_match_a_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days = [T0 + timedelta(days=d) for d in range(60)]
    calendar = [(s, d) for s in (1, 2) for d in days]
    # a third of the readings are missing: lags and means must skip them, not shift
    present = [
        (s, d, round(float(rng.uniform(2, 50)), 1)) for s, d in calendar if rng.random() > 0.33
    ]
    readings = pa.table(
        {
            "sensor_id": [s for s, _, _ in present],
            "ts": pa.array([d for _, d, _ in present], pa.timestamp("us", tz="UTC")),
            "pm25": [v for _, _, v in present],
        }
    )
    frame = pa.table(
        {
            "sensor_id": [s for s, _ in calendar],
            "ts": pa.array([d for _, d in calendar], pa.timestamp("us", tz="UTC")),
        }
    )
    value = {(s, d): v for s, d, v in present}
    got = daily_features(readings, frame).to_pylist()
    assert len(got) == len(calendar)
    for row in got:
        s, d = row["sensor_id"], row["ts"]
        assert row["pm25"] == value.get((s, d))
        for name, (agg, first, last) in WINDOWS.items():
            window = [
                value[(s, d - timedelta(days=k))]
                for k in range(last, first + 1)
                if (s, d - timedelta(days=k)) in value
            ]
            if not window:
                assert row[name] is None, (row, name)
            elif agg == "max":  # a lag: the one reading that day
                assert row[name] == window[0], (row, name)
            else:
                assert row[name] == pytest.approx(sum(window) / len(window)), (row, name)


def test_the_system_runs_as_scheduled_pipelines(tmp_path: Path) -> None:
    require_extra("lightgbm", "models")  # the training pipeline's model
    project = tmp_path / "aq"
    generate_step.run(project, SMALL)  # the small world; the CLI would make the full one
    for pipeline in ("feature", "training", "inference"):
        result = runner.invoke(app, ["run", "air_quality", pipeline, "--project", str(project)])
        assert result.exit_code == 0, result.output
    assert "chart:" in result.output
    next_day = SMALL.end + timedelta(days=1)
    with fh.connect(project) as fs:
        assert fs.get_feature_group("weather").read().to_arrow().num_rows == (SMALL.days + 7) * 3
        quality = fs.get_feature_group("air_quality").read().to_arrow()
        assert quality.num_rows == (SMALL.days + 1) * 3  # every reading, and the day to forecast
        model = fs.models.get("air_quality_lgbm", alias="production")
        assert model.metrics["mae"] < model.metrics["persistence_mae"]  # beats "as yesterday"
        assert fs.deployments.get("air_quality").models[0].version == model.version
        forecasts = fs.get_feature_group("air_quality_inference").read().to_arrow()
    # the first run backfills 30 days and forecasts the next one, for every sensor
    days = sorted(set(forecasts["ts"].to_pylist()))
    assert days[-1] == next_day and len(days) == 31
    assert forecasts.num_rows == 31 * 3
    assert all(p is not None and 0 < p < 200 for p in forecasts["prediction"].to_pylist())
    # a scheduled rerun with no new readings has nothing to catch up on
    rerun = runner.invoke(app, ["run", "air_quality", "inference", "-p", str(project)])
    assert rerun.exit_code == 0 and "0 forecasts written" in rerun.output
    chart = project / "reports" / "air_quality_forecast.svg"
    svg = ET.parse(chart).getroot()
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 * 3  # actual and forecast per sensor
    forecast_points = lines[1].attrib["points"].split()
    assert len(forecast_points) == 31  # the forecast line reaches the day still to come


def test_unknown_example_or_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "weather", "feature", "-p", str(tmp_path)])
    assert result.exit_code != 0 and "unknown example 'weather'" in result.output
    result = runner.invoke(app, ["run", "fraud", "serve", "-p", str(tmp_path)])
    assert result.exit_code != 0 and "no pipeline 'serve'" in result.output
    result = runner.invoke(app, ["run", "fraud", "feature", "-p", str(tmp_path)])
    assert result.exit_code != 0 and "run its generate step first" in str(result.exception)
