"""Statistics of a tier's per-round samples/s: median, a distribution-free CI, min, IQR.

The confidence interval of the median comes from order statistics (the binomial
argument, as in Conover's "Practical Nonparametric Statistics"): with n rounds the
interval [x_(j), x_(n+1-j)] covers the true median with probability
1 - 2 * P(Binomial(n, 1/2) < j). It assumes nothing about the distribution of round
times, which on a shared machine is skewed. Five rounds can reach at most 93.75 %, six
96.9 %: the achieved confidence is always reported next to the interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """Summary of one tier's rounds (all in samples per second)."""

    n: int
    median: float
    ci_low: float
    ci_high: float
    confidence: float  # the coverage actually achieved by [ci_low, ci_high]
    minimum: float
    maximum: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def to_dict(self) -> dict:
        out = asdict(self)
        out["iqr"] = self.iqr
        return out


def _binom_cdf_half(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) <= k)."""
    return sum(math.comb(n, i) for i in range(0, k + 1)) / 2.0**n


def median_ci_indices(n: int, level: float = 0.95) -> tuple[int, int, float]:
    """0-based order-statistic indices (lo, hi) of the median's CI and its coverage.

    Takes the narrowest symmetric interval whose coverage reaches ``level``; where no
    interval can (n < 6 for 95 %), the widest one, [min, max], with its lower coverage.
    """
    if n < 1:
        raise ValueError("need at least one value")
    best_j = 1
    for j in range(1, n // 2 + 1):  # interval [x_(j), x_(n+1-j)], 1-based
        coverage = 1.0 - 2.0 * _binom_cdf_half(j - 1, n)
        if coverage >= level:
            best_j = j
        else:
            break
    coverage = 1.0 - 2.0 * _binom_cdf_half(best_j - 1, n)
    return best_j - 1, n - best_j, coverage


def summarize(values: Sequence[float], level: float = 0.95) -> Summary:
    """Median, order-statistic CI, min/max and quartiles of ``values``."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        raise ValueError("no rounds to summarize")
    lo, hi, coverage = median_ci_indices(x.size, level)
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    return Summary(
        n=int(x.size),
        median=float(med),
        ci_low=float(x[lo]),
        ci_high=float(x[hi]),
        confidence=float(coverage),
        minimum=float(x[0]),
        maximum=float(x[-1]),
        q1=float(q1),
        q3=float(q3),
    )


def intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True where the closed intervals ``a`` and ``b`` share a point."""
    return a[0] <= b[1] and b[0] <= a[1]
