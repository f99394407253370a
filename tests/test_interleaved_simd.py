"""cython-interleaved-simd: bitwise python-naive's S and loss at 1, 2 and 3 threads, with
one or two lanes, with and without prefetching, and cython-interleaved's own kernel to the
bit on long profiles (every vector group, every tail); unavailable, with the reason, on a
CPU without AVX2."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import TierUnavailableError, create, get_tier, registered
from slimbench.impls._compiled import load_compiled, require_compiled
from slimbench.impls.cython_interleaved_simd import CythonInterleavedSimd
from slimbench.measure.check import check_dataset

from helpers import every_length_profiles

NAME = "cython-interleaved-simd"


@pytest.fixture(autouse=True)
def _available():
    reason = get_tier(NAME).unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


def _train(name, urm, *, seed=4, lr=5e-5, chunks, **options):
    tier = create(name, urm, seed=seed, learning_rate=lr, **options)
    losses = [tier.run(n).loss for n in chunks]
    return tier, losses


def _variant(lanes: int, prefetch: bool) -> type:
    name = f"simd-lanes{lanes}{'-prefetch' if prefetch else ''}"
    return type(name, (CythonInterleavedSimd,), {"name": name, "lanes": lanes,
                                                 "prefetch": prefetch})


@pytest.mark.parametrize("lanes,prefetch", [(1, False), (2, False), (2, True)])
def test_equals_the_reference_at_any_thread_count(lanes, prefetch):
    urm = check_dataset(seed=5, n_users=250, n_items=150)
    chunks = [urm.nnz] * 3
    ref, ref_losses = _train("python-naive", urm, chunks=chunks)
    variant = _variant(lanes, prefetch)
    with registered(variant):
        for threads in (1, 2, 3):
            tier, losses = _train(variant.name, urm, chunks=chunks, threads=threads)
            assert tier._simd is not None  # the AVX2 kernel ran, not the fallback
            assert np.array_equal(tier.similarity(), ref.similarity())
            assert losses == ref_losses  # the loss to the bit


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_kernel_equals_cython_interleaved_on_long_profiles(threads):
    urm = every_length_profiles(threads, 400, 257)
    a = create(NAME, urm, seed=7, learning_rate=2e-4, threads=threads)
    b = create("cython-interleaved", urm, seed=7, learning_rate=2e-4, threads=threads)
    for n in (50_000, 3, 20_000):
        assert a.run(n).loss == b.run(n).loss
    assert np.array_equal(a.similarity(), b.similarity())
    assert np.count_nonzero(a.similarity()) > urm.shape[1]


def test_ratings_without_codes_run_the_scalar_step():
    d = check_dataset(seed=6, n_users=120, n_items=60)
    odd = sp.csr_matrix((d.ratings + 0.1, d.indices, d.indptr), shape=(d.n_users, d.n_items))
    chunks = [odd.nnz] * 2
    ref, ref_losses = _train("python-naive", odd, chunks=chunks)
    tier, losses = _train(NAME, odd, chunks=chunks, threads=2)
    assert tier._simd is None
    assert any("AVX2 step needs the compact layout" in n for n in tier.notes)
    assert np.array_equal(tier.similarity(), ref.similarity()) and losses == ref_losses


def test_a_cpu_without_avx2_makes_the_tier_unavailable(monkeypatch, small_urm):
    module, _ = load_compiled("_cython_interleaved_simd")
    why = 'this CPU (or OS) does not run AVX2 (__builtin_cpu_supports("avx2") is false)'
    monkeypatch.setattr(module, "simd_unavailable_reason", lambda: why)
    assert get_tier(NAME).unavailable_reason() == why
    with pytest.raises(TierUnavailableError, match="does not run AVX2"):
        create(NAME, small_urm)


def test_the_kernel_checks_the_cpu_itself():
    # on this machine AVX2 runs (else the fixture skipped): the check says None
    assert require_compiled("_cython_interleaved_simd").simd_unavailable_reason() is None
