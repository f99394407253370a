"""The top-N items of each user from a model's scores.

A scorer maps a block of users' training rows (CSR) to their dense scores over all items.
Items the user has in training are excluded; among equal scores the lower item index
ranks first (a stable sort of the candidates, which come in ascending index order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

#: rows of training data -> dense scores, shape (rows, n_items)
Scorer = Callable[[sp.csr_matrix], np.ndarray]

#: users scored at once: bounds the dense score block (users x items x 8 bytes)
USER_BLOCK = 1024


def top_n(scores: np.ndarray, seen: np.ndarray, cutoff: int) -> np.ndarray:
    """The indices of the ``cutoff`` best unseen items of one score row, best first.

    Fewer are returned where fewer items are unseen.
    """
    row = np.asarray(scores, dtype=np.float64).copy()
    row[seen] = -np.inf
    n = min(cutoff, int(np.isfinite(row).sum()))
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # the n-th best value; every item at least that good is a candidate (ties included)
    kth = np.partition(row, row.size - n)[row.size - n]
    candidates = np.flatnonzero(row >= kth)
    order = np.argsort(-row[candidates], kind="stable")  # ties keep ascending item index
    return candidates[order[:n]]


def recommend(
    scorer: Scorer, train: sp.csr_matrix, users: np.ndarray, cutoff: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(user, top-N items) for every user of ``users``, scored a block at a time."""
    for start in range(0, users.size, USER_BLOCK):
        block = users[start : start + USER_BLOCK]
        rows = train[block]
        scores = np.asarray(scorer(rows))
        for k, user in enumerate(block):
            seen = rows.indices[rows.indptr[k] : rows.indptr[k + 1]]
            yield int(user), top_n(scores[k], seen, cutoff)
