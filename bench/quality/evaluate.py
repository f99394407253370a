"""A model's top-N metrics on held-out interactions, averaged over the users who have any."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from slimbench.impls import InvalidInputError

from .metrics import USER_METRICS, coverage, user_metrics
from .ranking import Scorer, recommend


def users_with_test(test: sp.csr_matrix) -> np.ndarray:
    """Indices of the users with at least one held-out interaction."""
    return np.flatnonzero(np.diff(test.indptr))


def evaluate(scorer: Scorer, train: sp.csr_matrix, test: sp.csr_matrix, cutoff: int) -> dict:
    """Mean precision, recall, MAP and NDCG at ``cutoff`` over test users, and coverage.

    Every held-out item of a user is relevant; items the user has in training are never
    recommended. Returns the metrics plus ``users`` (how many were evaluated).
    """
    if cutoff < 1:
        raise InvalidInputError(f"the cutoff must be a positive integer, got {cutoff}.")
    users = users_with_test(test)
    if users.size == 0:
        raise InvalidInputError("the test set holds no interaction: nothing to evaluate.")
    totals = dict.fromkeys(USER_METRICS, 0.0)
    lists = []
    for user, ranked in recommend(scorer, train, users, cutoff):
        relevant = set(test.indices[test.indptr[user] : test.indptr[user + 1]].tolist())
        for key, value in user_metrics(ranked.tolist(), relevant, cutoff).items():
            totals[key] += value
        lists.append(ranked)
    out = {key: value / users.size for key, value in totals.items()}
    out["coverage"] = coverage(lists, train.shape[1])
    out["users"] = int(users.size)
    return out


def evaluate_model(model: object, train: sp.csr_matrix, test: sp.csr_matrix, cutoff: int) -> dict:
    """:func:`evaluate` of a fitted baseline; a model that knows its metrics exactly (the
    random ranking's ``expected_metrics``) gives those instead of a sampled ranking."""
    exact = getattr(model, "expected_metrics", None)
    if exact is not None:
        return exact(train, test, cutoff)
    return evaluate(model.scores, train, test, cutoff)
