"""Deterministic synthetic air quality: a few sensors, each with daily weather (observed,
and forecast a week ahead) and daily PM2.5 readings that depend on yesterday's air,
the season, wind, rain and cold (heating). The same seed and sizes give the same tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

FORECAST_DAYS = 7  # weather forecasts reach this far past the last reading


@dataclass(frozen=True)
class AirQualitySize:
    """``end`` is the day of the last reading."""

    sensors: int = 5
    days: int = 730
    end: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    seed: int = 11

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "end": self.end.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AirQualitySize:
        return cls(**{**data, "end": datetime.fromisoformat(data["end"])})

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days - 1)


SMALL = AirQualitySize(sensors=3, days=240)


def generate(size: AirQualitySize) -> dict[str, pa.Table]:
    """``weather`` (through the forecast days) and ``readings`` (through ``end``)."""
    import numpy as np

    rng = np.random.default_rng(size.seed)
    total = size.days + FORECAST_DAYS
    days = [size.start + timedelta(days=d) for d in range(total)]
    day_of_year = np.array([d.timetuple().tm_yday for d in days])
    winter = np.cos(2 * np.pi * (day_of_year - 15) / 365.25)  # 1 in mid-January, -1 in July
    weather: dict[str, list[Any]] = {
        k: [] for k in ("sensor_id", "ts", "temperature", "wind_speed", "precipitation")
    }
    readings: dict[str, list[Any]] = {k: [] for k in ("sensor_id", "ts", "pm25")}
    for sensor in range(1, size.sensors + 1):
        baseline = rng.uniform(15.0, 30.0)
        temperature = 11.0 - 9.0 * winter + rng.normal(0, 3.0, total)
        wind = rng.gamma(2.0, 2.0, total)
        rain = np.where(rng.random(total) < 0.3, rng.exponential(4.0, total), 0.0)
        pm25 = np.empty(size.days)
        level = baseline
        for d in range(size.days):
            target = baseline * (1.0 + 0.5 * winter[d]) + 0.8 * max(0.0, 5.0 - temperature[d])
            weather_today = -1.5 * (wind[d] - 4.0) - 0.8 * rain[d]
            level = 0.6 * level + 0.4 * target + weather_today + rng.normal(0, 3.0)
            level = max(level, 2.0)
            pm25[d] = level
        weather["sensor_id"] += [sensor] * total
        weather["ts"] += days
        weather["temperature"] += list(np.round(temperature, 1))
        weather["wind_speed"] += list(np.round(wind, 1))
        weather["precipitation"] += list(np.round(rain, 1))
        readings["sensor_id"] += [sensor] * size.days
        readings["ts"] += days[: size.days]
        readings["pm25"] += list(np.round(pm25, 1))
    ts = pa.timestamp("us", tz="UTC")
    return {
        "weather": pa.table({**weather, "ts": pa.array(weather["ts"], ts)}),
        "readings": pa.table({**readings, "ts": pa.array(readings["ts"], ts)}),
    }
