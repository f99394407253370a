"""Dataset statistics, printed like the seed's In [10] block, plus the step-cost figure.

The seed (the course's ``Dataset.print_statistics``) prints one "Gini Index", computed on
the *user* profile lengths; this module reports it as ``gini_users`` and also the Gini
index of item popularity (``gini_items``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from slimbench.impls import prepare_urm


def gini_index(values: np.ndarray) -> float:
    """Gini coefficient of non-negative ``values`` (0: all equal, towards 1: concentrated)."""
    v = np.sort(np.abs(np.asarray(values, dtype=np.float64)))
    n = v.size
    total = v.sum()
    if n == 0 or total == 0:
        return 0.0
    index = np.arange(1, n + 1)
    return float(((2 * index - n - 1) * v).sum() / (n * total))


def dataset_stats(urm: sp.spmatrix) -> dict:
    """Statistics of ``urm`` as plain JSON-serialisable numbers.

    ``expected_profile_length`` is sum(len^2)/sum(len) over users: the mean length of the
    profile read by one SGD step, whose interaction is drawn uniformly.
    """
    csr = prepare_urm(urm).csr
    n_users, n_items = csr.shape
    per_user = np.diff(csr.indptr).astype(np.int64)
    per_item = np.bincount(csr.indices, minlength=n_items).astype(np.int64)
    nnz = int(csr.nnz)
    return {
        "n_users": int(n_users),
        "n_items": int(n_items),
        "nnz": nnz,
        "rating_min": float(csr.data.min()),
        "rating_max": float(csr.data.max()),
        "rating_mean": float(csr.data.mean()),
        "density": nnz / (n_users * n_items),
        "user_min": int(per_user.min()),
        "user_mean": nnz / n_users,
        "user_median": float(np.median(per_user)),
        "user_max": int(per_user.max()),
        "item_min": int(per_item.min()),
        "item_mean": nnz / n_items,
        "item_max": int(per_item.max()),
        "items_without_ratings": int((per_item == 0).sum()),
        "users_without_ratings": int((per_user == 0).sum()),
        "gini_users": gini_index(per_user),
        "gini_items": gini_index(per_item),
        "expected_profile_length": float((per_user**2).sum() / nnz),
    }


def format_stats(stats: dict, name: str) -> str:
    """The seed's statistics block for ``stats`` (from :func:`dataset_stats`), plus extras."""
    s = stats
    return (
        f"Dataset: {name}\n"
        f"\tNumber of items: {s['n_items']}\n"
        f"\tNumber of users: {s['n_users']}\n"
        f"\tNumber of interactions in URM_all: {s['nnz']}\n"
        f"\tValue range in URM_all: {s['rating_min']:.2f}-{s['rating_max']:.2f}"
        f" (mean {s['rating_mean']:.2f})\n"
        f"\tInteraction density: {s['density']:.2E}\n"
        "\tInteractions per user:\n"
        f"\t\t Min: {s['user_min']:.2E}\n"
        f"\t\t Avg: {s['user_mean']:.2E}\n"
        f"\t\t Median: {s['user_median']:.2E}\n"
        f"\t\t Max: {s['user_max']:.2E}\n"
        "\tInteractions per item:\n"
        f"\t\t Min: {s['item_min']:.2E}\n"
        f"\t\t Avg: {s['item_mean']:.2E}\n"
        f"\t\t Max: {s['item_max']:.2E}\n"
        f"\t\t Without ratings: {s['items_without_ratings']}\n"
        f"\tGini Index (user activity, as the seed): {s['gini_users']:.2f}\n"
        f"\tGini Index (item popularity): {s['gini_items']:.2f}\n"
        "\tExpected profile length of a sampled interaction (sum len^2 / sum len): "
        f"{s['expected_profile_length']:.1f}\n"
    )
