"""A self-contained HTML report of one monitor run: the drift table with breaches marked,
reference vs current distributions of every feature, and each feature's PSI over the
monitor's runs. Charts are small hand-made SVGs: the file needs nothing else to open."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from featurehouse.monitoring.monitors import OUTCOMES

if TYPE_CHECKING:
    from featurehouse.monitoring.monitors import FeatureSample, Monitor, MonitorRun

REFERENCE, CURRENT = "#4c72b0", "#dd8452"
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")
WIDTH, HEIGHT, PAD = 460, 200, 34
BINS = 20
CATEGORIES = 12
BREACH = ' class="breach"'  # a table cell past its threshold

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th:first-child,td:first-child{text-align:left}.breach{background:#f8d0d0;
font-weight:bold}.ok{color:#2a7a2a}.bad{color:#b00}.feature{display:inline-block;margin:0 1em
1em 0;vertical-align:top}svg text{font-size:10px;fill:#444}h3{margin:.2em 0}
"""


def _legend(names: Sequence[tuple[str, str]], x: float) -> str:
    return "".join(
        f'<rect x="{x}" y="{6 + 12 * i}" width="9" height="9" fill="{color}"/>'
        f'<text x="{x + 13}" y="{14 + 12 * i}">{escape(name)}</text>'
        for i, (name, color) in enumerate(names)
    )


def bars_svg(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]) -> str:
    """Grouped bars: one group per label, one bar per series (shares in [0, 1])."""
    top = max((v for _, _, values in series for v in values), default=0.0) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    group = inner_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}">']
    parts.append(
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
    )
    parts.append(f'<text x="2" y="{PAD}">{top:.0%}</text>')
    for s, (_, color, values) in enumerate(series):
        for i, value in enumerate(values):
            h = inner_h * value / top
            x = PAD + i * group + group * 0.1 + s * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}" opacity="0.85"/>'
            )
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        x = PAD + i * group
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 13}">{escape(labels[i][:10])}</text>')
    parts.append(_legend([(name, color) for name, color, _ in series], WIDTH - 110))
    parts.append("</svg>")
    return "".join(parts)


def lines_svg(xs: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]) -> str:
    """One line per series over the points ``xs`` (gaps where a value is None)."""
    values = [v for _, ys in series for v in ys if v is not None]
    top = max(values, default=0.0) or 1.0
    inner_w, inner_h = WIDTH * 2 - 2 * PAD - 120, HEIGHT - 2 * PAD
    step = inner_w / max(len(xs) - 1, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH * 2}" height="{HEIGHT}">']
    parts.append(
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{PAD + inner_w}" y2="{HEIGHT - PAD}" stroke="#888"/>'
    )
    parts.append(f'<text x="2" y="{PAD}">{top:.2f}</text>')
    for n, (_, ys) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        points = [
            f"{PAD + i * step:.1f},{HEIGHT - PAD - inner_h * y / top:.1f}"
            for i, y in enumerate(ys)
            if y is not None
        ]
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        parts += [
            f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" fill="{color}"/>'
            for p in points
        ]
    for i, x in enumerate(xs):
        if i % max(1, len(xs) // 8) == 0:
            parts.append(
                f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - PAD + 13}">{escape(x)}</text>'
            )
    legend = [(name, PALETTE[n % len(PALETTE)]) for n, (name, _) in enumerate(series)]
    parts.append(_legend(legend, PAD + inner_w + 15))
    parts.append("</svg>")
    return "".join(parts)


def distribution_svg(sample: FeatureSample) -> str:
    """Reference vs current: shares per bin (numeric) or per most frequent category."""
    import numpy as np

    if sample.kind == "numeric":
        both = np.concatenate([sample.reference, sample.current])
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1, BINS + 1)
        shares = [
            np.histogram(values, edges)[0] / max(len(values), 1)
            for values in (sample.reference, sample.current)
        ]
        labels = [f"{e:.3g}" for e in edges[:-1]]
    else:
        from collections import Counter

        ref, cur = Counter(sample.reference), Counter(sample.current)
        labels = [c for c, _ in (ref + cur).most_common(CATEGORIES)]
        shares = [
            np.array([counts[c] / max(sum(counts.values()), 1) for c in labels])
            for counts in (ref, cur)
        ]
    return bars_svg(
        labels, [("reference", REFERENCE, list(shares[0])), ("current", CURRENT, list(shares[1]))]
    )


def render(
    monitor: Monitor,
    run: MonitorRun,
    found: dict[str, FeatureSample],
    history: Sequence[MonitorRun],
) -> str:
    """The report's HTML: ``history`` is every run of the monitor, oldest first, this one last."""
    breached = {(b.feature, b.metric) for b in run.breaches}
    metrics = sorted({m for values in run.drift.values() for m in values})
    window = f"{run.start or 'the beginning'} to {run.end or 'now'}"
    source = f"deployment {monitor.deployment!r}" if monitor.deployment else "new feature data"
    status = (
        f'<p class="bad">{len(run.breaches)} breach(es)</p>'
        if run.breaches
        else '<p class="ok">no breach</p>'
    )
    rows = []
    for feature, values in run.drift.items():
        cells = []
        for m in metrics:
            value = values.get(m)
            css = BREACH if (feature, m) in breached else ""
            cells.append(f"<td{css}>{'' if value is None else f'{value:.4g}'}</td>")
        rows.append(f"<tr><td>{escape(feature)}</td>{''.join(cells)}</tr>")
    thresholds = ", ".join(f"{escape(k)} {v:g}" for k, v in monitor.thresholds.items())
    charts = "".join(
        f'<div class="feature"><h3>{escape(f)}</h3>{distribution_svg(found[f])}</div>'
        for f in run.drift
    )
    outcomes = "".join(
        f"<tr><td>{escape(m)}</td><td{BREACH if (OUTCOMES, m) in breached else ''}>{v:.4g}</td></tr>"
        for m, v in run.outcomes.items()
    )
    xs = [f"#{r.run}" for r in history]
    series = [(f, [r.drift.get(f, {}).get("psi") for r in history]) for f in run.drift]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>monitor {escape(monitor.name)} run {run.run}</title><style>{STYLE}</style>"
        f"</head><body><h1>Monitor {escape(monitor.name)}, run {run.run}</h1>"
        f"<p>{escape(source)}; reference: training dataset "
        f"{escape(monitor.feature_view[0])}:{monitor.feature_view[1]} version {monitor.reference}, "
        f"split {escape(monitor.split)}; window {escape(window)}; {run.rows} current rows; "
        f"run at {run.started_at:%Y-%m-%d %H:%M:%S} UTC. Thresholds: {thresholds or 'none'}.</p>"
        f"{status}<h2>Drift</h2><table><tr><th>feature</th>"
        f"{''.join(f'<th>{escape(m)}</th>' for m in metrics)}</tr>{''.join(rows)}</table>"
        f"<h2>Distributions: reference vs current</h2>{charts or '<p>no data in the window</p>'}"
        f"<h2>PSI over runs</h2>{lines_svg(xs, series) if series else ''}"
        "<h2>Outcomes: predictions with a logged outcome</h2>"
        f"{f'<table>{outcomes}</table>' if outcomes else '<p>no outcomes in the window</p>'}"
        "</body></html>"
    )


def write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
