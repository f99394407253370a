"""What fitting a baseline will cost, said before it is fitted.

EASE inverts a dense n_items x n_items matrix (n^3 work) and item-KNN works on a dense
n^2 similarity: on MovieLens latest-small (9,066 items) they take minutes where the SGD
training took a second, so ``slimbench train`` announces each one's cost first. The time
is extrapolated from the same operation on a small matrix timed here (a few tens of
milliseconds), so it follows this machine's speed and load; it is an estimate, said so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .baselines import keep_top_k, symmetric_positive_inverse

#: the side of the matrices the estimates are calibrated on
CALIBRATION_SIZE = 384


@dataclass(frozen=True)
class FitCost:
    """A baseline's expected fit: seconds (None where negligible) and the work in words."""

    name: str
    seconds: float | None
    work: str

    def sentence(self) -> str:
        """E.g. "ease: about 80 s (inverting a dense 9,066 x 9,066 matrix, 627 MiB)"."""
        if self.seconds is None:
            return f"{self.name}: {self.work}"
        return f"{self.name}: about {_duration(self.seconds)} ({self.work})"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "1 s or less"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} minutes"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _calibrate_cubic(size: int = CALIBRATION_SIZE) -> float:
    """Seconds per n^3 of the SPD inverse EASE uses, on a size x size matrix."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size))
    g = a @ a.T + size * np.eye(size)
    return _timed(lambda: symmetric_positive_inverse(g)) / size**3


def _calibrate_square(size: int = CALIBRATION_SIZE) -> float:
    """Seconds per n^2 of item-KNN's dense passes (normalise, keep the top k per column)."""
    rng = np.random.default_rng(0)
    b = rng.random((size, size))

    def passes() -> None:
        c = b / (np.outer(b[0], b[0]) + 10.0)
        keep_top_k(c, min(100, size - 1))

    return _timed(passes) / size**2


def fit_costs(names: list[str], train: sp.csr_matrix) -> list[FitCost]:
    """The expected cost of fitting each baseline of ``names`` on ``train``."""
    n = int(train.shape[1])
    dense = f"a dense {n:,} x {n:,} matrix, {8 * n * n / 2**20:,.0f} MiB"
    out = []
    for name in names:
        if name == "ease":
            seconds = _calibrate_cubic() * n**3 + _calibrate_square() * n**2
            out.append(FitCost(name, seconds, f"inverting {dense}"))
        elif name == "item-knn":
            out.append(FitCost(name, _calibrate_square() * n**2, f"similarities in {dense}"))
        else:
            out.append(FitCost(name, None, "counts, instant"))
    return out
