"""A self-contained HTML report of one monitor run: the drift table with breaches and small
p-values marked, reference vs current shares in the very bins the drift was measured on, and
each feature's PSI over the monitor's runs.

The page is rendered from ``templates/report.html.j2`` with autoescaping on (feature, monitor
and category names come from users); this module only computes what the charts draw. Charts
are inline SVG: the file needs nothing else to open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurehouse.monitoring.monitors import OUTCOMES

if TYPE_CHECKING:
    from featurehouse.monitoring.monitors import FeatureSample, Monitor, MonitorRun

REFERENCE, CURRENT = "#4c72b0", "#dd8452"
WIDTH, HEIGHT, PAD = 460, 170, 34
LABELS_HEIGHT = 70  # room under a bar chart for its rotated labels
LEGEND_ROW = 12
CATEGORIES = 12  # the most frequent categories drawn; the rest make one "other" bar
LABEL_CHARS = 14  # a longer label is cut (the whole text shows on hover)
SIGNIFICANCE = 0.05  # a p-value below it is flagged: the samples likely differ
OTHER = "(other)"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    text: str
    full: str


@dataclass(frozen=True)
class Line:
    name: str
    color: str
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Chart:
    """What a template draws: bars or lines above a baseline, ticks under it, a legend."""

    width: float
    height: float
    baseline: float
    top: str  # the value at the top of the plot area
    ticks: list[Tick]
    legend: list[tuple[str, str]]  # (name, colour)
    legend_x: float
    bars: Sequence[Bar] = ()
    lines: Sequence[Line] = ()
    rotate_ticks: bool = False
    left: float = PAD  # where the plot area starts


def palette(n: int) -> list[str]:
    """``n`` distinct colours: hues spread evenly round the wheel, lightness alternating so
    that neighbours differ even when ``n`` is large."""
    return [f"hsl({round(360 * i / max(n, 1))}, 65%, {40 if i % 2 else 55}%)" for i in range(n)]


def short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def numeric_bins(sample: FeatureSample) -> tuple[list[str], list[int], list[int]]:
    """The bins PSI was computed on (cut at the reference's quantiles), with each sample's
    count per bin."""
    from featurehouse.monitoring.drift import bin_counts, numeric_edges

    edges = numeric_edges(sample.reference)
    bounds = [f"{e:.4g}" for e in edges]
    labels = (
        [f"< {bounds[0]}", *(f"[{a}, {b})" for a, b in pairwise(bounds)), f"≥ {bounds[-1]}"]
        if bounds
        else ["all"]
    )
    ref, cur = bin_counts(edges, sample.reference), bin_counts(edges, sample.current)
    return labels, ref.tolist(), cur.tolist()


def category_bins(sample: FeatureSample) -> tuple[list[str], list[int], list[int]]:
    """The categories PSI and chi-square were computed on: the most frequent ones, the rest
    summed in one bar."""
    from featurehouse.monitoring.drift import category_counts

    ref, cur, categories = category_counts(sample.reference, sample.current)
    order = sorted(range(len(categories)), key=lambda i: -(ref[i] + cur[i]))
    shown, rest = order[:CATEGORIES], order[CATEGORIES:]
    labels = [str(categories[i]) for i in shown]
    ref_counts, cur_counts = [int(ref[i]) for i in shown], [int(cur[i]) for i in shown]
    if rest:
        labels.append(OTHER)
        ref_counts.append(int(sum(ref[i] for i in rest)))
        cur_counts.append(int(sum(cur[i] for i in rest)))
    return labels, ref_counts, cur_counts


def distribution_chart(sample: FeatureSample) -> Chart:
    """Reference vs current: the share of each sample in each bin the drift measured."""
    bins = numeric_bins if sample.kind == "numeric" else category_bins
    labels, ref, cur = bins(sample)
    series = [
        ("reference", REFERENCE, [n / max(sum(ref), 1) for n in ref]),
        ("current", CURRENT, [n / max(sum(cur), 1) for n in cur]),
    ]
    return bar_chart(labels, series)


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]) -> Chart:
    """Grouped bars: one group per label, one bar per series (shares in [0, 1])."""
    top = max((v for _, _, values in series for v in values), default=0.0) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD - 80, HEIGHT - PAD
    group = inner_w / max(len(labels), 1)
    width = group * 0.8 / max(len(series), 1)
    bars = [
        Bar(
            x=PAD + i * group + group * 0.1 + s * width,
            y=HEIGHT - inner_h * value / top,
            width=width,
            height=inner_h * value / top,
            color=color,
            title=f"{name} {labels[i]}: {value:.1%}",
        )
        for s, (name, color, values) in enumerate(series)
        for i, value in enumerate(values)
    ]
    ticks = [Tick(PAD + (i + 0.5) * group, short(label), label) for i, label in enumerate(labels)]
    return Chart(
        width=WIDTH,
        height=HEIGHT + LABELS_HEIGHT,
        baseline=HEIGHT,
        top=f"{top:.0%}",
        ticks=ticks,
        legend=[(name, color) for name, color, _ in series],
        legend_x=WIDTH - 2 * PAD - 40,
        bars=bars,
        rotate_ticks=True,
    )


def line_chart(xs: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]) -> Chart:
    """One line per series over the points ``xs`` (gaps where a value is None)."""
    values = [v for _, ys in series for v in ys if v is not None]
    top = max(values, default=0.0) or 1.0
    height = max(HEIGHT, LEGEND_ROW * len(series) + PAD)  # every series has a legend row
    inner_w, inner_h = WIDTH * 2 - 2 * PAD - 160, height - 2 * PAD
    step = inner_w / max(len(xs) - 1, 1)
    colors = palette(len(series))
    lines = [
        Line(
            name,
            color,
            [
                (PAD + i * step, height - PAD - inner_h * y / top)
                for i, y in enumerate(ys)
                if y is not None
            ],
        )
        for (name, ys), color in zip(series, colors, strict=True)
    ]
    every = max(1, len(xs) // 8)
    ticks = [Tick(PAD + i * step, short(x), x) for i, x in enumerate(xs) if i % every == 0]
    return Chart(
        width=WIDTH * 2,
        height=height,
        baseline=height - PAD,
        top=f"{top:.2f}",
        ticks=ticks,
        legend=[(line.name, line.color) for line in lines],
        legend_x=PAD + inner_w + 15,
        lines=lines,
    )


def drift_rows(run: MonitorRun, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Per feature, one cell per metric: its value, whether it breached the monitor's
    threshold, and whether it is a p-value small enough to flag."""
    breached = {(b.feature, b.metric) for b in run.breaches}
    return [
        {
            "feature": feature,
            "cells": [
                {
                    "text": "" if values.get(m) is None else f"{values[m]:.4g}",
                    "breach": (feature, m) in breached,
                    "significant": m.endswith("_pvalue")
                    and values.get(m) is not None
                    and values[m] < SIGNIFICANCE,
                }
                for m in metrics
            ],
        }
        for feature, values in run.drift.items()
    ]


def render(
    monitor: Monitor,
    run: MonitorRun,
    found: dict[str, FeatureSample],
    history: Sequence[MonitorRun],
) -> str:
    """The report's HTML: ``history`` is every run of the monitor, oldest first, this one last."""
    from jinja2 import Environment, PackageLoader

    environment = Environment(
        loader=PackageLoader("featurehouse.monitoring", "templates"), autoescape=True
    )
    breached = {(b.feature, b.metric) for b in run.breaches}
    metrics = sorted({m for values in run.drift.values() for m in values})
    psi = [(f, [r.drift.get(f, {}).get("psi") for r in history]) for f in run.drift]
    return environment.get_template("report.html.j2").render(
        monitor=monitor,
        run=run,
        source=f"deployment {monitor.deployment!r}" if monitor.deployment else "new feature data",
        window=f"{run.start or 'the beginning'} to {run.end or 'now'}",
        thresholds=", ".join(f"{k} {v:g}" for k, v in monitor.thresholds.items()),
        metrics=metrics,
        rows=drift_rows(run, metrics),
        significance=SIGNIFICANCE,
        categories=CATEGORIES,
        distributions=[(f, distribution_chart(found[f])) for f in run.drift],
        psi_chart=line_chart([f"#{r.run}" for r in history], psi) if psi else None,
        outcomes=[
            {"metric": m, "text": f"{v:.4g}", "breach": (OUTCOMES, m) in breached}
            for m, v in run.outcomes.items()
        ],
    )


def write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
