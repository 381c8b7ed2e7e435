"""Drift between a reference sample and a current one.

Numeric features: the population stability index (PSI) over the reference's deciles and the
two-sample Kolmogorov-Smirnov test. Categorical features: PSI over the categories, the
chi-square test of homogeneity and the Jensen-Shannon distance (base 2, in [0, 1]).

A threshold on a metric whose name ends in ``_pvalue`` is breached by a smaller value (the
samples are unlikely to come from one distribution); any other by a greater one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from featurehouse.errors import MissingDependencyError

if TYPE_CHECKING:
    import numpy as np

PSI_BINS = 10
EPSILON = 1e-4  # floor of a bin's share, so that an empty bin gives a finite PSI

NUMERIC_METRICS = ("psi", "ks", "ks_pvalue")
CATEGORICAL_METRICS = ("psi", "chi2", "chi2_pvalue", "js")


def scipy_stats() -> Any:
    """``scipy.stats``, or the error that names the extra to install."""
    try:
        from scipy import stats
    except ImportError as exc:
        raise MissingDependencyError.for_extra("scipy", "monitoring") from exc
    return stats


def breached(metric: str, value: float, threshold: float) -> bool:
    return value < threshold if metric.endswith("_pvalue") else value > threshold


def _psi_of_shares(reference: np.ndarray, current: np.ndarray) -> float:
    import numpy as np

    r = np.maximum(reference, EPSILON)
    c = np.maximum(current, EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_edges(reference: np.ndarray, bins: int = PSI_BINS) -> np.ndarray:
    """Inner bin edges: the reference's quantiles (repeated ones merged)."""
    import numpy as np

    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def bin_counts(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many values fall in each bin: below the first edge, between edges (each bin
    closed on its left), and from the last edge up."""
    import numpy as np

    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)


def psi_numeric(reference: np.ndarray, current: np.ndarray, bins: int = PSI_BINS) -> float:
    """PSI over bins cut at the reference's quantiles (open at both ends)."""
    edges = numeric_edges(reference, bins)
    ref, cur = bin_counts(edges, reference), bin_counts(edges, current)
    return _psi_of_shares(ref / ref.sum(), cur / cur.sum())


def category_counts(reference: Sequence[Any], current: Sequence[Any]) -> tuple[Any, Any, list[Any]]:
    """Counts of each category (the union of both samples, sorted by text) in each sample."""
    import numpy as np

    categories = sorted(set(reference) | set(current), key=str)
    index = {c: i for i, c in enumerate(categories)}
    ref = np.bincount([index[v] for v in reference], minlength=len(categories))
    cur = np.bincount([index[v] for v in current], minlength=len(categories))
    return ref, cur, categories


def psi_categorical(reference: Sequence[Any], current: Sequence[Any]) -> float:
    ref, cur, _ = category_counts(reference, current)
    return _psi_of_shares(ref / ref.sum(), cur / cur.sum())


def numeric_drift(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    ks = scipy_stats().ks_2samp(reference, current)
    return {
        "psi": psi_numeric(reference, current),
        "ks": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
    }


def categorical_drift(reference: Sequence[Any], current: Sequence[Any]) -> dict[str, float]:
    import numpy as np

    stats = scipy_stats()
    from scipy.spatial import distance

    ref, cur, _ = category_counts(reference, current)
    out = {"psi": _psi_of_shares(ref / ref.sum(), cur / cur.sum())}
    if len(ref) < 2:  # one category in both: nothing can differ
        out.update(chi2=0.0, chi2_pvalue=1.0, js=0.0)
        return out
    chi2 = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    out["chi2"] = float(chi2.statistic)
    out["chi2_pvalue"] = float(chi2.pvalue)
    out["js"] = float(distance.jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2))
    return out
