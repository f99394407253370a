"""What fitting a baseline will cost, said before it is fitted.

EASE inverts a dense n_items x n_items matrix (n^3 work) and item-KNN works on a dense
n^2 similarity: on MovieLens latest-small (9,066 items) they take minutes where the SGD
training took a second, so ``slimbench train`` announces each one's cost first. Both start
from the co-occurrence (Gram) matrix X^T X, a sparse product of sum over users of len^2
multiply-adds, which on synthetic-ml10m's split (3.7 billion of them) takes longer than
everything item-KNN does after it. The time is extrapolated from operations timed here on
small inputs (a matrix product for EASE's n^3, item-KNN's own dense passes for its n^2, the
Gram of a seeded sample of users for X^T X; well under a second together), so it follows
this machine's speed and load; it is an estimate, and said to be one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .baselines import keep_top_k

#: the side of the matrices the estimates are calibrated on
CALIBRATION_SIZE = 1024
#: the side of the matrix product that measures the BLAS rate
GEMM_SIZE = 768
#: about this many multiply-adds of X^T X are timed on a sample of users (about 0.1-0.3 s)
GRAM_SAMPLE_WORK = 3e7


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


def _best_of_two(fn) -> float:
    """The faster of two timed calls: the first may pay a cold start (allocation, caches)."""
    return min(_timed(fn) for _ in range(2))


def _calibrate_cubic(size: int = GEMM_SIZE) -> float:
    """Seconds per n^3 multiply-adds of this machine's BLAS, from one size x size product.

    A Cholesky inverse is about n^3 of them; timing the inverse itself on a small matrix
    measured overheads, not the rate (0.6-6 s for 384 x 384 on a loaded 2-core VM).
    """
    rng = np.random.default_rng(0)
    a = rng.random((size, size))
    best = _best_of_two(lambda: a @ a)
    return best / (2 * size**3)


def _calibrate_square(size: int = CALIBRATION_SIZE) -> float:
    """Seconds per n^2 of item-KNN's dense passes (normalise, keep the top k per column)."""
    rng = np.random.default_rng(0)
    b = rng.random((size, size))

    def passes() -> None:
        c = b / (np.outer(b[0], b[0]) + 10.0)
        keep_top_k(c, min(100, size - 1))

    return _timed(passes) / size**2


def _calibrate_gram(train: sp.csr_matrix) -> float:
    """Seconds of the sparse product X^T X of ``train``, from the product of a sample of users.

    The product's work is linear in sum over users of len^2, so a seeded random sample of
    users with about GRAM_SAMPLE_WORK of it is timed and scaled by the whole's share (on
    synthetic-ml10m's 80 % split, 3.7e9: samples of 1e7 and 3e7 gave 38 s and 32 s, the
    product itself took 23 s: a little high, never the tenth it was without this term).
    """
    train = sp.csr_matrix(train)
    work = np.diff(train.indptr).astype(np.float64) ** 2
    total = float(work.sum())
    if total == 0:
        return 0.0
    order = np.random.default_rng(0).permutation(train.shape[0])
    count = int(np.searchsorted(np.cumsum(work[order]), GRAM_SAMPLE_WORK)) + 1
    users = np.sort(order[:count])
    sample = train[users]
    seconds = _best_of_two(lambda: sample.T @ sample)  # one cold call read 2.5-4x high
    return seconds * total / float(work[users].sum())


def fit_costs(names: list[str], train: sp.csr_matrix) -> list[FitCost]:
    """The expected cost of fitting each baseline of ``names`` on ``train``."""
    n = int(train.shape[1])
    dense = f"a dense {n:,} x {n:,} matrix, {8 * n * n / 2**20:,.0f} MiB"
    out = []
    dense_models = {"ease", "item-knn"} & set(names)
    square = _calibrate_square() if dense_models else 0.0
    gram = _calibrate_gram(train) if dense_models else 0.0
    for name in names:
        if name == "ease":
            # potrf + potri are n^3 flops, at about a quarter of a product's rate (measured:
            # 342 s for 9,066 items where this said 310-470 s), so 2 x n^3 multiply-adds
            seconds = gram + 2 * _calibrate_cubic() * n**3 + square * n**2
            out.append(FitCost(name, seconds, f"X^T X, then inverting {dense}"))
        elif name == "item-knn":
            out.append(FitCost(name, gram + square * n**2, f"X^T X, then similarities in {dense}"))
        else:
            out.append(FitCost(name, None, "counts, instant"))
    return out
