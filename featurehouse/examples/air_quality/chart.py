"""A self-contained SVG chart of forecast vs actual PM2.5, one panel per sensor (no
plotting library needed; any browser or image viewer shows it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from pathlib import Path

WIDTH, PANEL_HEIGHT, MARGIN = 760, 170, 48
ACTUAL, FORECAST = "#555555", "#d9480f"


def forecast_chart(
    series: Mapping[int, Sequence[tuple[datetime, float | None, float | None]]],
    path: Path,
    title: str = "PM2.5 forecast vs actual (µg/m³)",
) -> Path:
    """``series``: per sensor, (day, forecast, actual) in day order; None where unknown
    (the actual of a day still to come)."""
    height = MARGIN + len(series) * (PANEL_HEIGHT + 24) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{MARGIN}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{WIDTH - 250}" y="22" fill="{ACTUAL}">— actual</text>',
        f'<text x="{WIDTH - 170}" y="22" fill="{FORECAST}">— forecast</text>',
    ]
    for i, (sensor, points) in enumerate(sorted(series.items())):
        top = MARGIN + i * (PANEL_HEIGHT + 24)
        parts += _panel(f"sensor {sensor}", points, top)
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path


def _panel(
    label: str, points: Sequence[tuple[datetime, float | None, float | None]], top: float
) -> list[str]:
    values = [v for _, f, a in points for v in (f, a) if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    low, high = min(low, 0.0), high if high > low else low + 1.0
    left, right, bottom = MARGIN, WIDTH - 16, top + PANEL_HEIGHT
    n = max(len(points) - 1, 1)

    def xy(index: int, value: float) -> str:
        x = left + (right - left) * index / n
        y = bottom - (bottom - top) * (value - low) / (high - low)
        return f"{x:.1f},{y:.1f}"

    def line(values: Sequence[float | None], colour: str) -> str:
        coords = " ".join(xy(i, v) for i, v in enumerate(values) if v is not None)
        return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'

    first, last = (points[0][0], points[-1][0]) if points else (None, None)
    return [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{PANEL_HEIGHT}" '
        'fill="none" stroke="#dddddd"/>',
        f'<text x="{left + 6}" y="{top + 16}" font-weight="bold">{escape(label)}</text>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{high:.0f}</text>',
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end">{low:.0f}</text>',
        f'<text x="{left}" y="{bottom + 15}">{first:%Y-%m-%d}</text>' if first else "",
        f'<text x="{right}" y="{bottom + 15}" text-anchor="end">{last:%Y-%m-%d}</text>'
        if last
        else "",
        line([a for _, _, a in points], ACTUAL),
        line([f for _, f, _ in points], FORECAST),
    ]
