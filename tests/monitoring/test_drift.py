"""Drift metrics agree with plain reference computations on random data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from featurehouse.monitoring.drift import (
    EPSILON,
    breached,
    categorical_drift,
    numeric_drift,
    psi_categorical,
    psi_numeric,
)


def psi_reference(ref_shares: list[float], cur_shares: list[float]) -> float:
    total = 0.0
    for r, c in zip(ref_shares, cur_shares, strict=True):
        r, c = max(r, EPSILON), max(c, EPSILON)
        total += (c - r) * math.log(c / r)
    return total


def shares_in_bins(values: np.ndarray, edges: list[float]) -> list[float]:
    """Share of values per bin: (-inf, e0), [e0, e1), ..., [e_last, inf)."""
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[sum(1 for e in edges if v >= e)] += 1
    return [c / len(values) for c in counts]


def ks_statistic_reference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest gap between the two empirical CDFs, checked at every observed value."""
    return max(abs(np.mean(a <= x) - np.mean(b <= x)) for x in np.concatenate([a, b]))


@pytest.mark.parametrize("seed", range(5))
def test_numeric_drift_matches_plain_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = rng.normal(0, 1, 400)
    cur = rng.normal(rng.uniform(-0.5, 0.5), rng.uniform(0.8, 1.5), 300)
    drift = numeric_drift(ref, cur)
    edges = sorted(set(np.quantile(ref, [i / 10 for i in range(1, 10)]).tolist()))
    expected = psi_reference(shares_in_bins(ref, edges), shares_in_bins(cur, edges))
    assert drift["psi"] == pytest.approx(expected, rel=1e-9)
    assert drift["ks"] == pytest.approx(ks_statistic_reference(ref, cur), rel=1e-12)
    assert drift["ks_pvalue"] == pytest.approx(stats.ks_2samp(ref, cur).pvalue, rel=1e-9)
    assert psi_numeric(ref, ref) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_categorical_drift_matches_plain_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = list(rng.choice(["a", "b", "c", "d"], 500, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(["a", "b", "c", "e"], 300, p=[0.25, 0.25, 0.25, 0.25]))
    drift = categorical_drift(ref, cur)
    cats = sorted(set(ref) | set(cur))
    r = [ref.count(c) for c in cats]
    c = [cur.count(c) for c in cats]
    rs, cs = [x / sum(r) for x in r], [x / sum(c) for x in c]
    assert drift["psi"] == pytest.approx(psi_reference(rs, cs), rel=1e-12)
    assert psi_categorical(ref, cur) == drift["psi"]
    # chi-square of homogeneity: sum over cells of (observed - expected)^2 / expected
    n, total = [sum(r), sum(c)], sum(r) + sum(c)
    chi2 = 0.0
    for row, counts in enumerate((r, c)):
        for j, observed in enumerate(counts):
            expected = n[row] * (r[j] + c[j]) / total
            chi2 += (observed - expected) ** 2 / expected
    assert drift["chi2"] == pytest.approx(chi2, rel=1e-12)
    assert drift["chi2_pvalue"] == pytest.approx(stats.chi2.sf(chi2, len(cats) - 1), rel=1e-9)
    # Jensen-Shannon distance: the square root of the mean KL to the midpoint, base 2
    m = [(a + b) / 2 for a, b in zip(rs, cs, strict=True)]

    def kl(p: list[float]) -> float:
        return sum(x * math.log2(x / y) for x, y in zip(p, m, strict=True) if x > 0)

    assert drift["js"] == pytest.approx(math.sqrt((kl(rs) + kl(cs)) / 2), rel=1e-9)


def test_one_category_everywhere_has_no_drift() -> None:
    assert categorical_drift(["x"] * 5, ["x"] * 3) == {
        "psi": 0.0,
        "chi2": 0.0,
        "chi2_pvalue": 1.0,
        "js": 0.0,
    }


def test_pvalues_breach_below_and_other_metrics_above() -> None:
    assert breached("ks_pvalue", 0.001, 0.01) and not breached("ks_pvalue", 0.5, 0.01)
    assert breached("psi", 0.3, 0.2) and not breached("psi", 0.1, 0.2)
