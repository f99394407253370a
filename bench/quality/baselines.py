"""The models a user would pick instead of SGD SLIM, scored like it: r_u . B[:, i].

* random: a random ranking of each user's unseen items, the chance row; its metrics are
  exact expectations (:mod:`.random_ranking`), not a sampled ranking.
* top-popular: every user gets the items by training interaction count.
* item-KNN cosine: B[j, i] = <x_j, x_i> / (|x_j| |x_i| + shrink) over the training
  columns (ratings as stored), zero diagonal, only the ``k`` largest of each column kept.
* EASE (Steck 2019): the closed-form least-squares item-item model with zero diagonal,
  B = argmin |X - X B|^2 + lambda |B|^2 subject to diag(B) = 0, that is
  P = (X^T X + lambda I)^-1 and B[j, i] = -P[j, i] / P[i, i] for j != i.

Each is fitted on the training CSR and exposes ``scores(rows)`` (a ranking.Scorer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from slimbench.impls import InvalidInputError, limits

from .random_ranking import RandomRanking

#: the documented defaults (docs/training.md, "Training: slimbench train")
KNN_K = 100
KNN_SHRINK = 10.0
EASE_LAMBDA = 2000.0
BASELINES: tuple[str, ...] = ("random", "top-popular", "item-knn", "ease")
#: columns handled at once where a column-wise pass over a dense n x n matrix is needed
COLUMN_BLOCK = 1024


def _gram(train: sp.csr_matrix) -> np.ndarray:
    """X^T X as a dense float64 n_items x n_items matrix."""
    return np.asarray((train.T @ train).toarray(), dtype=np.float64)


@dataclass
class TopPopular:
    """Items ranked by how often they were interacted with in training."""

    name: str = "top-popular"
    options: dict = field(default_factory=dict)

    def fit(self, train: sp.csr_matrix) -> TopPopular:
        """Count each item's training interactions."""
        self.counts = np.bincount(train.indices, minlength=train.shape[1]).astype(np.float64)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        """The same counts for every user of ``rows``."""
        return np.broadcast_to(self.counts, (rows.shape[0], self.counts.size))


@dataclass
class ItemItem:
    """A model scored as ``rows @ B`` with a dense item-item matrix B."""

    name: str
    options: dict = field(default_factory=dict)
    B: np.ndarray | None = None

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        """``r_u . B[:, i]`` for every user of ``rows`` and every item."""
        return np.asarray(rows @ self.B)


def keep_top_k(B: np.ndarray, k: int) -> np.ndarray:
    """Zero all but the ``k`` largest entries of each column of ``B`` (in place)."""
    n = B.shape[0]
    if k >= n:
        return B
    for start in range(0, B.shape[1], COLUMN_BLOCK):
        block = B[:, start : start + COLUMN_BLOCK]
        drop = np.argpartition(-block, k, axis=0)[k:]
        np.put_along_axis(block, drop, 0.0, axis=0)
    return B


def item_knn(train: sp.csr_matrix, k: int = KNN_K, shrink: float = KNN_SHRINK) -> ItemItem:
    """Item-KNN with shrunk cosine similarity, ``k`` neighbours per item."""
    k, shrink = int(limits.KNN_K.check(k)), limits.KNN_SHRINK.check(shrink)
    B = _gram(train)
    norms = np.sqrt(np.diag(B).copy())
    B /= np.outer(norms, norms) + shrink + 1e-12  # 1e-12: an item without ratings stays 0
    np.fill_diagonal(B, 0.0)
    return ItemItem("item-knn", {"k": k, "shrink": shrink}, keep_top_k(B, k))


def symmetric_positive_inverse(G: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite ``G`` (overwritten), by Cholesky.

    LAPACK potrf + potri cost about half of a general LU inverse; both fill one triangle.
    """
    factor, info = lapack.dpotrf(G, lower=True, overwrite_a=True, clean=True)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise InvalidInputError(
            f"EASE: X^T X + lambda I is not positive definite here (LAPACK info {info}); "
            "raise --ease-lambda."
        )
    lower = np.tril(inverse)
    return lower + np.tril(lower, -1).T


def ease(train: sp.csr_matrix, lam: float = EASE_LAMBDA) -> ItemItem:
    """EASE: closed-form least squares with zero diagonal (Steck 2019)."""
    lam = limits.EASE_LAMBDA.check(lam)
    G = _gram(train)
    G[np.diag_indices_from(G)] += lam
    P = symmetric_positive_inverse(G)
    B = P / -np.diag(P)
    np.fill_diagonal(B, 0.0)
    return ItemItem("ease", {"lambda": lam}, B)


def fit_baseline(
    name: str,
    train: sp.csr_matrix,
    *,
    knn_k: int = KNN_K,
    knn_shrink: float = KNN_SHRINK,
    ease_lambda: float = EASE_LAMBDA,
) -> RandomRanking | TopPopular | ItemItem:
    """Fit baseline ``name`` (one of :data:`BASELINES`) on ``train``."""
    if name == "random":
        return RandomRanking().fit(train)
    if name == "top-popular":
        return TopPopular().fit(train)
    if name == "item-knn":
        return item_knn(train, knn_k, knn_shrink)
    if name == "ease":
        return ease(train, ease_lambda)
    raise InvalidInputError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}.")
