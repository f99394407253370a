"""The sampling contract: one numpy stream, however drawn; cython-rand's libc sampler."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy import stats

from slimbench.impls import InvalidInputError, create, make_rng
from slimbench.impls.cython_rand import libc_rand_max

from helpers import random_urm


@pytest.mark.parametrize("nnz", [7, 3_570, 10_000_054, 2**31 - 1])
@pytest.mark.parametrize("seed", [0, 12345])
def test_scalar_draws_equal_block_draws(nnz, seed):
    """The seed tiers draw one index per step, the fast tiers in blocks: same sequence."""
    scalar_rng = make_rng(seed)
    scalar = [scalar_rng.integers(0, nnz) for _ in range(3000)]
    block_rng = make_rng(seed)
    blocks = np.concatenate([block_rng.integers(0, nnz, size=n) for n in (1, 999, 2000)])
    assert np.array_equal(np.array(scalar), blocks)
    # and the stream continues identically after a mix of both
    assert scalar_rng.integers(0, nnz) == block_rng.integers(0, nnz, size=1)[0]


def _rand_module():
    from slimbench.impls._cython_rand import draw_indices, seed_rand

    return draw_indices, seed_rand


@pytest.mark.parametrize("n_bins", [10, 997, 3_570])
def test_cython_rand_sampler_is_uniform(n_bins):
    """rand() % n over 400k draws: chi-square goodness of fit at p > 1e-4 (seeded, stable)."""
    draw_indices, seed_rand = _rand_module()
    seed_rand(2024)
    draws = draw_indices(n_bins, 400_000)
    assert draws.min() >= 0 and draws.max() < n_bins
    counts = np.bincount(draws, minlength=n_bins)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_uniformity_test_can_fail():
    """The same test rejects a sampler that never draws the last interaction."""
    draw_indices, seed_rand = _rand_module()
    seed_rand(2024)
    counts = np.bincount(draw_indices(996, 400_000), minlength=997)  # bin 996 stays empty
    assert stats.chisquare(counts).pvalue < 1e-4


def test_cython_rand_stream_depends_on_seed(small_urm):
    a = create("cython-rand", small_urm, seed=1, learning_rate=1e-4)
    a.run(500)
    S_a = a.similarity().copy()
    b = create("cython-rand", small_urm, seed=2, learning_rate=1e-4)
    b.run(500)
    assert not np.array_equal(S_a, b.similarity())


def test_cython_rand_refuses_when_rand_max_is_too_small():
    urm = random_urm(0, 200, 300, 0.7)  # ~42k interactions > 32,768
    with pytest.raises(InvalidInputError, match=r"RAND_MAX here is 32,767.*first 32,768"):
        create("cython-rand", urm, rand_max=32767)
    create("cython-rand", urm, rand_max=urm.nnz - 1)  # exactly enough: accepted


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's RAND_MAX")
def test_glibc_rand_max_reaches_every_interaction_int32_can_index():
    assert libc_rand_max() == 2**31 - 1
