"""Bad input at the tiers' boundary gets a clear error, never a deep traceback or garbage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import (
    InvalidInputError,
    TrainingDiverged,
    UnknownTierError,
    create,
    get_tier,
    prepare_urm,
    tier_names,
)
from slimbench.impls import urm as urm_module

from helpers import random_urm

SEED_TIERS = ["python-naive", "python-indptr", "cython-untyped", "cython-typed", "cython-rand"]


@pytest.mark.parametrize(
    "bad,message",
    [
        ([[1.0, 2.0]], "must be a scipy.sparse matrix or a 2-D numpy array"),
        ("ratings.csv", "must be a scipy.sparse matrix or a 2-D numpy array"),
        (np.ones(5), "must be 2-D .* got 1-D"),
        (np.ones((2, 2, 2)), "must be 2-D .* got 3-D"),
        (np.array([["a", "b"]]), "must hold real numbers, got dtype <U1"),
        (np.ones((3, 3), dtype=complex), "must hold real numbers, got dtype complex128"),
        (np.zeros((4, 5)), r"no stored interaction \(nnz = 0"),
        (sp.csr_matrix((4, 5)), r"no stored interaction \(nnz = 0"),
    ],
)
def test_unusable_matrices_are_refused(bad, message):
    with pytest.raises(InvalidInputError, match=message):
        prepare_urm(bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_ratings_are_refused_with_their_position(value):
    dense = np.ones((3, 4))
    dense[2, 1] = value
    with pytest.raises(InvalidInputError, match=r"1 non-finite rating.*\(user 2, item 1\)"):
        prepare_urm(sp.csr_matrix(dense))


def test_more_entries_than_int32_indexes_are_refused(monkeypatch):
    monkeypatch.setattr(urm_module, "INT32_MAX", 5)
    with pytest.raises(InvalidInputError, match="6 stored entries.*at most 5"):
        prepare_urm(sp.csr_matrix(np.ones((2, 3))))


def test_dimensions_beyond_int32_are_refused():
    huge = sp.csr_matrix((1, 2**31), dtype=np.float64)
    with pytest.raises(InvalidInputError, match="indices must fit int32"):
        prepare_urm(huge)


@pytest.mark.parametrize("lr", [0, -1e-3, np.nan, np.inf, "0.1", None, True, 1j])
def test_learning_rate_must_be_positive_finite(lr):
    with pytest.raises(InvalidInputError, match="learning rate must be a positive finite number"):
        create("python-naive", random_urm(0, 5, 5, 0.5), learning_rate=lr)


@pytest.mark.parametrize("steps", [-1, 2.5, "10", None])
def test_step_count_must_be_a_non_negative_integer(steps):
    tier = create("cython-typed", random_urm(0, 5, 5, 0.5))
    with pytest.raises(InvalidInputError, match=r"n_steps must be an integer in \[0, "):
        tier.run(steps)


def test_zero_steps_is_a_no_op():
    tier = create("cython-rand", random_urm(0, 5, 5, 0.5))
    assert tier.run(0).steps == 0 and not tier.similarity().any()


def test_unknown_tier_lists_known_and_suggests_closest():
    with pytest.raises(UnknownTierError) as info:
        get_tier("python-indtpr")
    text = str(info.value)
    assert "Did you mean 'python-indptr'?" in text
    for name in tier_names():
        assert name in text


def _messy_copies(csr: sp.csr_matrix):
    """The same interactions as COO with split duplicates, CSC, unsorted CSR, dense."""
    coo = csr.tocoo()
    half = coo.data / 2
    dup = sp.coo_matrix(
        (np.concatenate([half, coo.data - half]), (np.tile(coo.row, 2), np.tile(coo.col, 2))),
        shape=csr.shape,
    )
    unsorted = csr.copy()
    for u in range(unsorted.shape[0]):
        s, e = unsorted.indptr[u], unsorted.indptr[u + 1]
        unsorted.indices[s:e] = unsorted.indices[s:e][::-1]
        unsorted.data[s:e] = unsorted.data[s:e][::-1]
    unsorted.has_sorted_indices = False
    return {
        "coo-duplicates": dup,
        "csc": csr.tocsc(),
        "unsorted": unsorted,
        "dense": csr.toarray(),
        "int64-indices": sp.csr_matrix(
            (csr.data, csr.indices.astype(np.int64), csr.indptr.astype(np.int64)), shape=csr.shape
        ),
    }


@pytest.mark.parametrize("name", ["python-naive", "cython-typed", "cython-rand"])
def test_non_canonical_inputs_give_the_canonical_result(name):
    canonical = random_urm(4, 30, 20, 0.3)
    ref = create(name, canonical, seed=3, learning_rate=1e-3)
    ref.run(1500)
    S_ref = ref.similarity().copy()
    for kind, messy in _messy_copies(canonical).items():
        tier = create(name, messy, seed=3, learning_rate=1e-3)
        tier.run(1500)
        assert np.array_equal(tier.similarity(), S_ref), kind


def test_canonical_form():
    data = prepare_urm(_messy_copies(random_urm(4, 30, 20, 0.3))["unsorted"])
    assert data.indices.dtype == np.int32 and data.indptr.dtype == np.int32
    assert data.ratings.dtype == np.float64 and data.csr.has_canonical_format
    assert np.array_equal(data.rows, data.csr.tocoo().row)


@pytest.mark.parametrize("name", SEED_TIERS)
def test_divergence_stops_at_the_same_step_for_every_tier(name):
    urm = random_urm(1, 40, 30, 0.6)
    lr = 0.05  # far above stability: lr * sum(r^2) >> 2
    ref = create("python-naive", urm, seed=2, learning_rate=lr)
    with pytest.raises(TrainingDiverged) as ref_info:
        ref.run(100_000)
    tier = create(name, urm, seed=2, learning_rate=lr)
    with pytest.raises(TrainingDiverged, match=f"tier '{name}' diverged at step") as info:
        if name == "cython-rand":
            from slimbench.impls import make_rng

            tier.replay(make_rng(2).integers(0, urm.nnz, size=100_000))
        else:
            tier.run(100_000)
    assert info.value.step == ref_info.value.step > 1
    assert tier.steps_done == info.value.step - 1
    S = tier.similarity()
    assert np.isfinite(S).all() and np.array_equal(S, ref.similarity())


def test_replay_indices_are_validated():
    tier = create("cython-rand", random_urm(0, 5, 5, 0.5))
    with pytest.raises(InvalidInputError, match=r"must lie in \[0, nnz="):
        tier.replay(np.array([0, tier.data.nnz]))
    with pytest.raises(InvalidInputError, match="1-D integer array"):
        tier.replay(np.array([0.5]))


def test_a_tier_whose_extension_is_not_built_is_unavailable_not_broken():
    from slimbench.impls import TierUnavailableError, registered
    from slimbench.impls.cython_typed import CythonTyped
    from slimbench.measure.check import check_tiers

    class NotBuilt(CythonTyped):
        name = "not-built"
        compiled_modules = ("_cython_typed", "_never_built")

    with registered(NotBuilt):
        assert "slimbench.impls._never_built is not built" in NotBuilt.unavailable_reason()
        with pytest.raises(TierUnavailableError, match="'not-built' is unavailable here"):
            create("not-built", random_urm(0, 5, 5, 0.5))
        (result,) = check_tiers(["not-built"], data=random_urm(0, 20, 10, 0.5))
    assert result.verdict == "unavailable" and not result.failed
