"""Top-N metrics of one user's ranked list against the user's relevant (held-out) items.

For a list ``ranked`` of at most N item indices and the set ``relevant`` (m items, m > 0):

* precision@N = hits / N
* recall@N    = hits / m
* AP@N        = (1 / min(N, m)) * sum over ranks k (1-based) holding a relevant item of
                precision@k; MAP@N is its mean over users
* NDCG@N      = DCG / IDCG, DCG = sum over ranks k holding a relevant item of
                1 / log2(k + 1) (binary gain), IDCG = sum_{k=1}^{min(N, m)} 1 / log2(k + 1)
* coverage@N  = distinct items recommended to any evaluated user / number of items

N is the cutoff, even where fewer than N items could be recommended (precision counts
the empty slots as misses).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: the per-user metrics, in the order tables show them (coverage is over all users)
USER_METRICS: tuple[str, ...] = ("precision", "recall", "map", "ndcg")
METRICS: tuple[str, ...] = (*USER_METRICS, "coverage")


def user_metrics(ranked: Sequence[int], relevant: set[int], cutoff: int) -> dict[str, float]:
    """precision, recall, AP and NDCG at ``cutoff`` of one user's ``ranked`` list."""
    if not relevant:
        raise ValueError("a user without relevant items has no metrics")
    hits = np.array([item in relevant for item in list(ranked)[:cutoff]], dtype=bool)
    ranks = np.flatnonzero(hits) + 1  # 1-based ranks of the hits
    n_hits = ranks.size
    m = len(relevant)
    ideal = min(cutoff, m)
    precision_at_hits = np.arange(1, n_hits + 1) / ranks
    discounts = 1.0 / np.log2(np.arange(1, ideal + 1) + 1.0)
    return {
        "precision": n_hits / cutoff,
        "recall": n_hits / m,
        "map": float(precision_at_hits.sum() / ideal),
        "ndcg": float((1.0 / np.log2(ranks + 1.0)).sum() / discounts.sum()),
    }


def coverage(recommended: Sequence[np.ndarray], n_items: int) -> float:
    """Share of the ``n_items`` items that appear in at least one recommended list."""
    if not recommended:
        return 0.0
    seen = np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r in recommended]))
    return float(seen.size / n_items)
