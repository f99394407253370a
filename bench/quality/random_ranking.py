"""The chance row of the quality table: the expected metrics of a random ranking.

A random ranking recommends to user u a uniformly random ordered selection of
L = min(N, n) of the n items u has not seen in training. Its metrics are not sampled but
computed exactly, as expectations over that draw, with the definitions of
:mod:`.metrics` (m relevant items, of which m' are unseen and so can be recommended):

* P(rank k holds a relevant item) = m' / n for every k <= L, so
  E[precision] = L m' / (n N), E[recall] = L m' / (n m),
  E[NDCG] = (m' / n) sum_{k <= L} 1 / log2(k + 1) / IDCG;
* E[hit at k times hits in 1..k] = (m' / n) (1 + (k - 1)(m' - 1) / (n - 1)), so
  E[AP] = sum_{k <= L} that / k / min(N, m);
* an item is recommended to u with probability L / n if u has not seen it, so
  E[coverage] = mean over items of 1 - prod over evaluated users without it of (1 - L / n).

Every other row of the table reads against this one: a model at the random row has
learned nothing about which items a user will pick.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from slimbench.impls import InvalidInputError

from .evaluate import users_with_test


def _relevant_unseen(train: sp.csr_matrix, test: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
    """Per user of ``users``: held-out items not in the user's training profile (m')."""
    both = test[users].multiply(train[users])  # held-out items also seen in training
    return np.diff(test[users].indptr) - np.diff(sp.csr_matrix(both).indptr)


def expected_random_metrics(train: sp.csr_matrix, test: sp.csr_matrix, cutoff: int) -> dict:
    """The exact expected metrics of a random ranking, in :func:`evaluate`'s format."""
    if cutoff < 1:
        raise InvalidInputError(f"the cutoff must be a positive integer, got {cutoff}.")
    users = users_with_test(test)
    if users.size == 0:
        raise InvalidInputError("the test set holds no interaction: nothing to evaluate.")
    train = sp.csr_matrix(train, dtype=np.float64)
    test = sp.csr_matrix(test, dtype=np.float64)
    n_items = train.shape[1]
    seen = np.diff(train.indptr)[users].astype(np.float64)
    n = n_items - seen  # candidates
    m = np.diff(test.indptr)[users].astype(np.float64)
    hit = _relevant_unseen(train, test, users).astype(np.float64)
    length = np.minimum(cutoff, n)  # L
    chance = np.divide(hit, n, out=np.zeros_like(hit), where=n > 0)  # m' / n
    ideal = np.minimum(cutoff, m).astype(np.int64)
    discount = 1.0 / np.log2(np.arange(1, cutoff + 1) + 1.0)
    cum_discount = np.r_[0.0, np.cumsum(discount)]
    ks = np.arange(1, cutoff + 1, dtype=np.float64)
    # E[AP] numerator: sum over k <= L of chance * (1 + (k-1)(m'-1)/(n-1)) / k
    later = np.divide(hit - 1, n - 1, out=np.zeros_like(hit), where=n > 1)
    inside = ks[None, :] <= length[:, None]
    ap_terms = chance[:, None] * (1.0 + (ks[None, :] - 1.0) * later[:, None]) / ks[None, :]
    out = {
        "precision": float((length * chance / cutoff).mean()),
        "recall": float((length * chance / m).mean()),
        "map": float(((ap_terms * inside).sum(axis=1) / ideal).mean()),
        "ndcg": float(
            (chance * cum_discount[length.astype(np.int64)] / cum_discount[ideal]).mean()
        ),
    }
    out["coverage"] = _expected_coverage(train, users, length, n)
    out["users"] = int(users.size)
    return out


def _expected_coverage(
    train: sp.csr_matrix, users: np.ndarray, length: np.ndarray, n: np.ndarray
) -> float:
    """Mean over items of P(some evaluated user is recommended it), users independent."""
    n_items = train.shape[1]
    full = length >= n  # such a user is recommended every unseen item
    miss = np.zeros_like(length)  # log(1 - L / n): the user misses an unseen item
    part = ~full
    miss[part] = np.log1p(-length[part] / n[part])
    rows = train[users]
    held = np.repeat(np.arange(users.size), np.diff(rows.indptr))
    # users without item i: all evaluated users minus those who hold it
    log_missed = miss.sum() - np.bincount(rows.indices, weights=miss[held], minlength=n_items)
    fulls_without = full.sum() - np.bincount(
        rows.indices, weights=full[held].astype(np.float64), minlength=n_items
    )
    covered = np.where(fulls_without > 0, 1.0, -np.expm1(log_missed))
    return float(covered.mean())


@dataclass
class RandomRanking:
    """The random-ranking baseline: nothing to fit; its metrics are expectations."""

    name: str = "random"
    options: dict = field(default_factory=lambda: {"expected": "exact"})

    def fit(self, train: sp.csr_matrix) -> RandomRanking:
        """Nothing is learned from ``train``."""
        return self

    def expected_metrics(self, train: sp.csr_matrix, test: sp.csr_matrix, cutoff: int) -> dict:
        """The exact expected metrics (module docstring)."""
        return expected_random_metrics(train, test, cutoff)
