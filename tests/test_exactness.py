"""Every seed tier gives python-naive's S element for element, on data where bugs show."""

from __future__ import annotations

import numpy as np
import pytest

from slimbench.impls import create, make_rng, prepare_urm, tier_names
from slimbench.measure.check import check_dataset

from helpers import random_urm

STREAM_TIERS = ["python-indptr", "cython-untyped", "cython-typed"]


def run_tier(name, urm, *, seed, lr, chunks):
    tier = create(name, urm, seed=seed, learning_rate=lr)
    losses = []
    for n in chunks:
        if tier.exactness == "replay":
            losses.append(tier.replay(tier_rng_indices(tier, n)).loss)
        else:
            losses.append(tier.run(n).loss)
    return tier, losses


def tier_rng_indices(tier, n):
    """The contract stream's next n indices for a replay tier (kept on the tier)."""
    if not hasattr(tier, "_test_stream"):
        tier._test_stream = make_rng(tier.seed)
    return tier._test_stream.integers(0, tier.data.nnz, size=n)


def reference(urm, *, seed, lr, chunks):
    return run_tier("python-naive", urm, seed=seed, lr=lr, chunks=chunks)


@pytest.mark.parametrize("name", STREAM_TIERS + ["cython-rand"])
@pytest.mark.parametrize(
    "seed,shape,lr",
    [(0, (60, 40), 5e-5), (1, (25, 90), 1e-4), (2, (150, 30), 2e-5)],
)
def test_tier_equals_reference_over_several_epochs(name, seed, shape, lr):
    urm = check_dataset(seed=seed + 100, n_users=shape[0], n_items=shape[1])
    epochs = [urm.nnz] * 3
    ref, ref_losses = reference(urm, seed=seed, lr=lr, chunks=epochs)
    tier, losses = run_tier(name, urm, seed=seed, lr=lr, chunks=epochs)
    S_ref, S = ref.similarity(), tier.similarity()
    assert np.count_nonzero(S_ref) > urm.n_items  # the comparison is not between empties
    assert np.array_equal(S, S_ref)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    assert tier.steps_done == ref.steps_done == 3 * urm.nnz


def test_data_holds_the_profiles_the_checks_need():
    urm = check_dataset(seed=100, n_users=60, n_items=40)
    lengths = np.diff(urm.indptr)
    assert lengths.min() == 1 and lengths.max() >= 0.9 * urm.n_items
    # items are hit repeatedly: an epoch draws far more steps than there are items
    assert urm.nnz > 10 * urm.n_items


@pytest.mark.parametrize("name", ["python-naive"] + STREAM_TIERS + ["cython-rand"])
def test_two_calls_equal_one_call(name, small_urm):
    total = 2 * small_urm.nnz + 17
    first = small_urm.nnz if name != "cython-rand" else 1000
    one = create(name, small_urm, seed=5, learning_rate=5e-5)
    one.run(total)  # for cython-rand this is its own rand() stream, not a replay
    S_one = one.similarity().copy()  # libc rand() is global: take S before the next srand
    two = create(name, small_urm, seed=5, learning_rate=5e-5)
    two.run(first)
    two.run(total - first)
    assert np.array_equal(S_one, two.similarity())
    assert one.steps_done == two.steps_done == total


def test_reference_matches_a_plain_loop_over_the_algorithm():
    """python-naive against the SGD step (predict, error, update the profile) in plain Python."""
    urm = prepare_urm(random_urm(3, 30, 20, 0.3))
    lr, n = 1e-3, 2000
    ref = create("python-naive", urm, seed=9, learning_rate=lr)
    ref.run(n)
    S = [[0.0] * urm.n_items for _ in range(urm.n_items)]
    indptr, indices, data, rows = (
        a.tolist() for a in (urm.indptr, urm.indices, urm.ratings, urm.rows)
    )
    draws = make_rng(9).integers(0, urm.nnz, size=n).tolist()
    for k in draws:
        u, i, r = rows[k], indices[k], data[k]
        pred = 0.0
        for p in range(indptr[u], indptr[u + 1]):
            pred += S[indices[p]][i] * data[p]
        err = r - pred
        for p in range(indptr[u], indptr[u + 1]):
            S[indices[p]][i] += lr * err * data[p]
    assert np.array_equal(ref.similarity(), np.array(S))


def test_all_seed_tiers_registered_with_declared_classes():
    classes = {n: create(n, random_urm(0, 5, 5, 0.5)).exactness for n in tier_names()[:5]}
    assert classes == {
        "python-naive": "bitwise",
        "python-indptr": "bitwise",
        "cython-untyped": "bitwise",
        "cython-typed": "bitwise",
        "cython-rand": "replay",
    }
