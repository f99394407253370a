"""Top-N metrics on hand-computed fixtures, the ranking's tie rule, and the baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import InvalidInputError
from slimbench.quality.baselines import ease, fit_baseline, item_knn, keep_top_k
from slimbench.quality.evaluate import evaluate
from slimbench.quality.metrics import coverage, user_metrics
from slimbench.quality.ranking import top_n

# ranked [5, 1, 7, 3] at N=4, relevant {1, 3, 9}: hits at ranks 2 and 4
FIXTURE = dict(ranked=[5, 1, 7, 3], relevant={1, 3, 9}, cutoff=4)


def test_precision_by_hand():
    assert user_metrics(**FIXTURE)["precision"] == 2 / 4


def test_recall_by_hand():
    assert user_metrics(**FIXTURE)["recall"] == 2 / 3


def test_average_precision_by_hand():
    # precision@2 = 1/2, precision@4 = 2/4, over min(N=4, m=3) = 3
    assert user_metrics(**FIXTURE)["map"] == pytest.approx((1 / 2 + 2 / 4) / 3, rel=1e-15)


def test_ndcg_by_hand():
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert user_metrics(**FIXTURE)["ndcg"] == pytest.approx(dcg / idcg, rel=1e-15)


def test_ideal_is_over_min_of_cutoff_and_relevant():
    # 1 relevant item at rank 1 with N = 3: AP = 1/1, NDCG = 1; precision 1/3
    m = user_metrics([4, 0, 2], {4}, 3)
    assert (m["precision"], m["recall"], m["map"], m["ndcg"]) == (1 / 3, 1.0, 1.0, 1.0)
    # more relevant than N, all N hit: perfect AP and NDCG, recall N/m
    m = user_metrics([1, 2], {1, 2, 3, 4}, 2)
    assert (m["map"], m["ndcg"], m["recall"]) == (1.0, 1.0, 0.5)


def test_no_hit_scores_zero_and_short_lists_count_empty_slots():
    m = user_metrics([0, 1], {7}, 5)
    assert m == {"precision": 0.0, "recall": 0.0, "map": 0.0, "ndcg": 0.0}
    assert user_metrics([7], {7}, 5)["precision"] == 1 / 5


def test_coverage_by_hand():
    assert coverage([np.array([0, 1]), np.array([1, 4])], 10) == 3 / 10


def test_ties_go_to_the_lower_item_index_and_seen_items_are_excluded():
    scores = np.array([1.0, 3.0, 3.0, 0.5, 3.0, 2.0])
    assert top_n(scores, np.array([1]), 3).tolist() == [2, 4, 5]
    assert top_n(np.zeros(5), np.array([0, 3]), 10).tolist() == [1, 2, 4]


def test_evaluate_on_a_hand_computed_split():
    # 3 users x 5 items; popularity in train: item 0 (3), item 1 (2), item 2 (1)
    train = sp.csr_matrix(np.array([[5, 4, 0, 0, 0], [3, 0, 0, 0, 0], [1, 2, 3, 0, 0.0]]))
    test = sp.csr_matrix(np.array([[0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0.0]]))
    result = evaluate(fit_baseline("top-popular", train).scores, train, test, cutoff=2)
    # user 0: seen {0,1}, list [2, 3] (3 and 4 tie at 0: lower index), hit at 1
    # user 1: seen {0}, list [1, 2], no hit; user 2 has no test item: not evaluated
    assert result["users"] == 2
    assert result["precision"] == pytest.approx((1 / 2 + 0) / 2)
    assert result["recall"] == pytest.approx((1 + 0) / 2)
    assert result["map"] == pytest.approx((1 / 1 + 0) / 2)
    assert result["ndcg"] == pytest.approx((1 + 0) / 2)
    assert result["coverage"] == pytest.approx(3 / 5)  # items 1, 2, 3


def test_evaluate_refuses_an_empty_test_set_and_a_bad_cutoff():
    train = sp.csr_matrix(np.eye(3))
    with pytest.raises(InvalidInputError, match="no interaction"):
        evaluate(fit_baseline("top-popular", train).scores, train, sp.csr_matrix((3, 3)), 2)
    with pytest.raises(InvalidInputError, match="cutoff"):
        evaluate(fit_baseline("top-popular", train).scores, train, train, 0)


def test_ease_solves_its_least_squares_problem_with_zero_diagonal():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix((rng.random((40, 6)) < 0.5) * rng.integers(1, 6, (40, 6)) * 1.0)
    lam = 3.0
    B = ease(X, lam).B
    assert np.all(np.diag(B) == 0)
    # column i solves min |x_i - X_{-i} b|^2 + lam |b|^2 over the other items
    D = X.toarray()
    for i in range(6):
        others = [j for j in range(6) if j != i]
        A = D[:, others]
        b = np.linalg.solve(A.T @ A + lam * np.eye(5), A.T @ D[:, i])
        np.testing.assert_allclose(B[others, i], b, rtol=1e-8, atol=1e-12)


def test_item_knn_is_shrunk_cosine_with_top_k_per_column():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1.0]]))
    B = item_knn(X, k=1, shrink=1.0).B
    # <x0, x1> = 2, |x0| = |x1| = sqrt(3): 2 / (3 + 1); x0 vs x2 also 2/4: the tie keeps one
    assert np.count_nonzero(B, axis=0).tolist() == [1, 1, 1]
    assert B.max() == pytest.approx(0.5)
    assert np.all(np.diag(B) == 0)


def test_keep_top_k_keeps_the_largest_of_each_column():
    B = np.array([[3.0, 0.1], [1.0, 0.3], [2.0, 0.2]])
    assert keep_top_k(B.copy(), 2).tolist() == [[3.0, 0.0], [0.0, 0.3], [2.0, 0.2]]


def test_model_top_k_keeps_the_largest_per_column_ties_to_the_lower_row():
    from slimbench.training.model_io import top_k_columns

    S = np.array([[0.5, 0.0, 2.0], [0.5, -1.0, 1.0], [0.1, -2.0, 3.0]])
    kept = top_k_columns(S, 2).toarray()
    assert kept.tolist() == [[0.5, 0.0, 2.0], [0.5, -1.0, 0.0], [0.0, 0.0, 3.0]]


def test_a_baselines_cost_is_said_in_words_and_grows_with_the_catalog():
    import scipy.sparse as sp

    from slimbench.quality.fit_cost import fit_costs

    small, large = sp.random(50, 100, 0.1, format="csr"), sp.random(50, 2000, 0.01, format="csr")
    ease_small, knn_small, pop = fit_costs(["ease", "item-knn", "top-popular"], small)
    (ease_large,) = fit_costs(["ease"], large)
    assert pop.seconds is None and pop.sentence() == "top-popular: counts, instant"
    assert "inverting a dense 2,000 x 2,000 matrix, 31 MiB" in ease_large.sentence()
    assert ease_large.seconds > ease_small.seconds and knn_small.seconds > 0


def test_the_cost_counts_the_co_occurrence_product_by_its_work():
    """X^T X costs sum over users of len^2 whatever the catalog: the same items and users
    with ten times the entries a user must be said to cost more (its square term and the
    rest are the same), and the sample's estimate of it must be near the product's time."""
    import time

    import scipy.sparse as sp

    from slimbench.quality import fit_cost

    rng = np.random.default_rng(3)
    sparse, dense = (sp.random(4000, 600, d, format="csr", random_state=rng) for d in (0.01, 0.3))
    assert fit_cost._calibrate_gram(sp.csr_matrix((5, 5))) == 0.0
    low, high = fit_cost._calibrate_gram(sparse), fit_cost._calibrate_gram(dense)
    assert high > 10 * low > 0
    start = time.perf_counter()
    for _ in range(3):
        dense.T @ dense
    took = (time.perf_counter() - start) / 3
    assert took / 10 < high < 10 * took  # an estimate, within an order of magnitude
    (knn,) = fit_cost.fit_costs(["item-knn"], dense)
    assert knn.seconds >= high / 10 and "X^T X, then similarities" in knn.sentence()
