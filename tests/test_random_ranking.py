"""The random-ranking baseline: exact expectations, checked against every possible ranking."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import InvalidInputError
from slimbench.quality.baselines import BASELINES, fit_baseline
from slimbench.quality.evaluate import evaluate_model
from slimbench.quality.metrics import USER_METRICS, coverage, user_metrics
from slimbench.quality.random_ranking import expected_random_metrics

# 4 users x 6 items. User 1's held-out item 0 is also in training (as a given test file
# may have): relevant, but never recommendable. User 2 has seen all but one item (fewer
# candidates than the cutoff); user 3 has no held-out item (not evaluated).
TRAIN = sp.csr_matrix(
    np.array(
        [
            [5, 4, 0, 0, 0, 0],
            [3, 0, 0, 0, 0, 0],
            [1, 2, 3, 4, 5, 0],
            [0, 0, 0, 0, 1, 1.0],
        ]
    )
)
TEST = sp.csr_matrix(
    np.array(
        [
            [0, 0, 1, 0, 1, 0],
            [1, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 0.0],
        ]
    )
)


def _enumerated(train: sp.csr_matrix, test: sp.csr_matrix, cutoff: int) -> dict:
    """The metrics averaged over every combination of every user's possible rankings."""
    users = np.flatnonzero(np.diff(test.indptr))
    choices = []
    for u in users:
        unseen = np.setdiff1d(np.arange(train.shape[1]), train[u].indices)
        size = min(cutoff, unseen.size)
        choices.append([list(p) for p in itertools.permutations(unseen.tolist(), size)])
    totals = dict.fromkeys(USER_METRICS, 0.0)
    covered = 0.0
    combos = list(itertools.product(*choices))
    for lists in combos:
        for u, ranked in zip(users, lists, strict=True):
            relevant = set(test[u].indices.tolist())
            for key, value in user_metrics(ranked, relevant, cutoff).items():
                totals[key] += value / users.size
        covered += coverage([np.array(r, dtype=np.int64) for r in lists], train.shape[1])
    out = {key: value / len(combos) for key, value in totals.items()}
    out["coverage"] = covered / len(combos)
    return out


@pytest.mark.parametrize("cutoff", [1, 2, 3])
def test_expected_metrics_equal_the_mean_over_every_possible_ranking(cutoff):
    got = expected_random_metrics(TRAIN, TEST, cutoff)
    want = _enumerated(TRAIN, TEST, cutoff)
    assert got["users"] == 3
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


def test_precision_by_hand():
    # user 0: 4 candidates, 2 relevant -> 2/4 per slot; user 1: 5 candidates, 1 of its 2
    # relevant unseen -> 1/5; user 2: 1 candidate, relevant, but 1 of 2 slots filled
    got = expected_random_metrics(TRAIN, TEST, 2)
    assert got["precision"] == pytest.approx((2 / 4 + 1 / 5 + 1 / 2) / 3)
    assert got["recall"] == pytest.approx((2 * 2 / 4 / 2 + 2 * 1 / 5 / 2 + 1) / 3)


def test_the_random_baseline_is_listed_and_refuses_what_evaluate_refuses():
    assert BASELINES[0] == "random"
    model = fit_baseline("random", TRAIN)
    assert evaluate_model(model, TRAIN, TEST, 2) == expected_random_metrics(TRAIN, TEST, 2)
    top = evaluate_model(fit_baseline("top-popular", TRAIN), TRAIN, TEST, 2)
    assert top["users"] == 3 and top["precision"] != model.expected_metrics(TRAIN, TEST, 2)
    with pytest.raises(InvalidInputError, match="no interaction"):
        expected_random_metrics(TRAIN, sp.csr_matrix(TRAIN.shape), 2)
    with pytest.raises(InvalidInputError, match="cutoff"):
        expected_random_metrics(TRAIN, TEST, 0)
