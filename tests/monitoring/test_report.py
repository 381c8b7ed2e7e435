"""The monitor report: charts draw what the drift statistics measured, every series and
label stays readable, small p-values are flagged, and every name from users is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from featurehouse.monitoring.drift import numeric_drift, numeric_edges
from featurehouse.monitoring.monitors import Breach, FeatureSample, Monitor, MonitorRun
from featurehouse.monitoring.report import render

EVIL = '<script>alert("x")</script>&'


def monitor(name: str = "inputs", features: tuple[str, ...] = ()) -> Monitor:
    return Monitor(
        name=name,
        version=1,
        feature_view=("fraud", 1),
        reference=1,
        split="train",
        features=features,
        thresholds={"psi": 0.2},
    )


def run_of(drift: dict[str, dict[str, float]], number: int = 1, **kwargs: object) -> MonitorRun:
    return MonitorRun(
        monitor="inputs",
        run=number,
        started_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        start=None,
        end=None,
        rows=1,
        drift=drift,
        breaches=[],
        report_path=Path("report.html"),
        **kwargs,  # type: ignore[arg-type]
    )


def samples(features: list[str]) -> dict[str, FeatureSample]:
    values = np.arange(20.0)
    return {f: FeatureSample("numeric", values, values + 1) for f in features}


def bar_shares(html: str, series: str) -> list[tuple[str, float]]:
    """(bin label, share) of every bar of ``series``, in drawing order."""
    found = re.findall(rf"<title>{series} (.*?): ([0-9.]+)%</title>", html)
    return [(label, float(share) / 100) for label, share in found]


def test_numeric_bars_are_the_psi_bins_even_for_a_heavy_tail() -> None:
    rng = np.random.default_rng(7)
    reference = rng.pareto(0.8, 5_000) * 1e6  # most mass near 0, a few values near 1e12
    current = rng.pareto(0.6, 5_000) * 1e6
    sample = FeatureSample("numeric", reference, current)
    html = render(
        monitor(), run_of({"amount": numeric_drift(reference, current)}), {"amount": sample}, []
    )
    edges = numeric_edges(reference)
    bounds = [f"{e:.4g}" for e in edges]
    expected = [
        f"&lt; {bounds[0]}",
        *(f"[{a}, {b})" for a, b in pairwise(bounds)),
        f"≥ {bounds[-1]}",
    ]
    reference_bars = bar_shares(html, "reference")
    assert [label for label, _ in reference_bars] == expected
    # deciles of the reference: about a tenth in every bar, not one bar holding everything
    assert all(share == pytest.approx(0.1, abs=0.011) for _, share in reference_bars)
    counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    current_bars = bar_shares(html, "current")
    assert [s for _, s in current_bars] == pytest.approx(counts / counts.sum(), abs=0.0005)


def test_categories_are_rotated_and_long_ones_cut_with_the_whole_name_on_hover() -> None:
    names = [f"category_with_a_long_name_{i}" for i in range(15)]
    reference = [n for i, n in enumerate(names) for _ in range(100 - i)]
    sample = FeatureSample("categorical", reference, list(reversed(reference)))
    html = render(monitor(), run_of({"kind": {"psi": 0.0}}), {"kind": sample}, [])
    ticks = re.findall(r'<text class="tick"([^>]*)>([^<]*)<title>([^<]*)</title>', html)
    assert len(ticks) == 13  # the 12 most frequent and "(other)"
    assert all('transform="rotate(-45' in attributes for attributes, _, _ in ticks)
    assert all(len(text) <= 14 for _, text, _ in ticks)
    assert [full for _, _, full in ticks] == [*names[:12], "(other)"]
    assert sum(s for _, s in bar_shares(html, "reference")) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("series", [2, 7, 15, 24])
def test_every_feature_has_its_own_colour_over_runs(series: int) -> None:
    features = [f"f{i}" for i in range(series)]
    history = [
        run_of({f: {"psi": 0.01 * (i + r)} for i, f in enumerate(features)}, r) for r in (1, 2)
    ]
    html = render(monitor(features=tuple(features)), history[-1], samples(features), history)
    strokes = re.findall(r'<polyline fill="none" stroke="([^"]+)"', html)
    assert len(strokes) == series and len(set(strokes)) == series


def test_small_p_values_are_flagged() -> None:
    drift = {
        "differs": {"psi": 0.5, "ks": 0.4, "ks_pvalue": 1e-300},
        "same": {"psi": 0.001, "ks": 0.01, "ks_pvalue": 0.93},
        "zero": {"psi": 0.9, "ks": 1.0, "ks_pvalue": 0.0},
    }
    html = render(monitor(), run_of(drift), samples(list(drift)), [])
    rows = dict(re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", html, flags=re.S))
    assert "p&lt;0.05" in rows["differs"] and 'class=" significant"' in rows["differs"]
    assert "p&lt;0.05" in rows["zero"]
    assert "p&lt;0.05" not in rows["same"] and "significant" not in rows["same"]


def test_every_name_from_users_is_escaped() -> None:
    sample = FeatureSample("categorical", [EVIL, "a"], [EVIL, EVIL])
    run = run_of({EVIL: {"psi": 1.0, "chi2_pvalue": 0.5}}, outcomes={EVIL: 0.5})
    run.breaches.append(Breach("inputs", EVIL, "psi", 1.0, 0.2))
    html = render(monitor(name=EVIL), run, {EVIL: sample}, [run])
    assert "<script>" not in html and 'alert("x")' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in html
