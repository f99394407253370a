"""The fast tiers: equal to python-naive (bitwise or within tolerance), thread-count
independent, continuing across calls, diverging at the reference's step; the floor's
reading is proven by checksums."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from slimbench.impls import (
    InvalidInputError,
    TrainingDiverged,
    create,
    get_tier,
    make_rng,
    registered,
)
from slimbench.measure.check import check_dataset, check_tiers

from helpers import random_urm

BITWISE = ["numba", "cython-transposed", "cython-bucketed", "cython-parallel", "cython-interleaved"]
TRAINERS = BITWISE + ["cython-parallel-f32", "cython-interleaved-f32"]
FLOORS = ["floor", "floor-f32", "floor-compact"]
PARALLEL = ["cython-parallel", "cython-parallel-f32", "cython-interleaved", *FLOORS]


def _available(name):
    reason = get_tier(name).unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


def _train(name, urm, *, seed, lr, chunks, **options):
    tier = create(name, urm, seed=seed, learning_rate=lr, **options)
    losses = [tier.run(n).loss for n in chunks]
    return tier, losses


def _assert_matches(name, tier, ref, losses, ref_losses):
    S, S_ref = np.asarray(tier.similarity(), dtype=np.float64), ref.similarity()
    assert np.count_nonzero(S_ref) > 0
    if get_tier(name).exactness == "bitwise":
        assert np.array_equal(S, S_ref)
        np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    else:
        tol = get_tier(name).tolerance
        assert np.abs(S - S_ref).max() <= tol * np.abs(S_ref).max()
        np.testing.assert_allclose(losses, ref_losses, rtol=tol)


@pytest.mark.parametrize("name", TRAINERS)
@pytest.mark.parametrize(
    "seed,shape,lr", [(0, (60, 40), 5e-5), (1, (25, 90), 1e-4), (2, (150, 30), 2e-5)]
)
def test_fast_tier_equals_reference(name, seed, shape, lr):
    _available(name)
    urm = check_dataset(seed=seed + 100, n_users=shape[0], n_items=shape[1])
    lengths = np.diff(urm.indptr)
    assert lengths.min() == 1 and lengths.max() >= shape[1] - 3  # the profiles bugs need
    chunks = [urm.nnz] * 3
    ref, ref_losses = _train("python-naive", urm, seed=seed, lr=lr, chunks=chunks)
    tier, losses = _train(name, urm, seed=seed, lr=lr, chunks=chunks)
    _assert_matches(name, tier, ref, losses, ref_losses)
    assert tier.steps_done == 3 * urm.nnz


@pytest.mark.parametrize("name", TRAINERS)
def test_two_calls_equal_one_call_and_small_blocks(name, small_urm, monkeypatch):
    _available(name)
    total = 2 * small_urm.nnz + 17
    one, _ = _train(name, small_urm, seed=5, lr=5e-5, chunks=[total])
    # blocks smaller than a call, and calls split unevenly: nothing may change
    monkeypatch.setattr(get_tier(name), "max_block", 97)
    two, _ = _train(name, small_urm, seed=5, lr=5e-5, chunks=[small_urm.nnz, total - small_urm.nnz])
    assert np.array_equal(one.similarity(), two.similarity())
    assert two.steps_done == total


@pytest.mark.parametrize(
    "name",
    ["cython-parallel", "cython-parallel-f32", "cython-interleaved", "cython-interleaved-f32"],
)
def test_parallel_is_bitwise_the_serial_result_at_any_thread_count(name):
    _available(name)
    urm = check_dataset(seed=3, n_users=200, n_items=120)
    serial, _ = _train(name, urm, seed=1, lr=5e-5, chunks=[2 * urm.nnz], threads=1)
    for threads in (2, 3):
        tier, _ = _train(name, urm, seed=1, lr=5e-5, chunks=[2 * urm.nnz], threads=threads)
        assert tier.threads in (threads, 1)  # 1 where built without OpenMP
        assert np.array_equal(tier.similarity(), serial.similarity())
    if name in ("cython-parallel", "cython-interleaved"):
        bucketed, _ = _train("cython-bucketed", urm, seed=1, lr=5e-5, chunks=[2 * urm.nnz])
        assert np.array_equal(bucketed.similarity(), serial.similarity())


@pytest.mark.parametrize("name", PARALLEL)
@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_thread_counts_are_refused(name, bad, small_urm):
    _available(name)
    with pytest.raises(InvalidInputError, match=r"threads must be an integer in \[1, "):
        create(name, small_urm, threads=bad)


def test_more_threads_than_cores_is_noted_not_refused(small_urm):
    _available("cython-parallel")
    from slimbench.impls.cython_parallel import max_threads

    tier = create("cython-parallel", small_urm, threads=max_threads())
    assert tier.notes and ("oversubscribed" in tier.notes[0] or "OpenMP" in tier.notes[0])
    assert create("cython-parallel", small_urm).threads >= 1


@pytest.mark.parametrize("name", BITWISE)
def test_divergence_at_the_reference_step_with_the_reference_s(name):
    _available(name)
    urm = random_urm(4, 40, 30, 0.5)
    with pytest.raises(TrainingDiverged) as ref_exc:
        _train("python-naive", urm, seed=2, lr=5.0, chunks=[10_000])
    ref = ref_exc.value
    assert ref.step > 2  # a diverging step after some applied ones
    ref_tier = create("python-naive", urm, seed=2, learning_rate=5.0)
    ref_tier.run(ref.step - 1)
    tier = create(name, urm, seed=2, learning_rate=5.0)
    with pytest.raises(TrainingDiverged) as exc:
        tier.run(10_000)
    assert exc.value.step == ref.step
    assert np.array_equal(tier.similarity(), ref_tier.similarity())


@pytest.mark.parametrize("name", ["cython-parallel-f32", "cython-interleaved-f32"])
def test_f32_diverges_too(name, small_urm):
    _available(name)
    with pytest.raises(TrainingDiverged):
        create(name, small_urm, learning_rate=5.0).run(10_000)


def test_numba_unavailable_without_numba(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    reason = get_tier("numba").unavailable_reason()
    assert reason is not None and "numba" in reason
    assert "numba" in [r.tier for r in check_tiers(["numba"]) if r.verdict == "unavailable"]


def test_numba_reports_its_compile_time(small_urm):
    _available("numba")
    assert create("numba", small_urm).compile_seconds >= 0.0


@pytest.mark.parametrize("name", FLOORS)
def test_floor_reads_exactly_the_drawn_profiles(name, small_urm):
    _available(name)
    floor = create(name, small_urm, seed=3)
    floor.run(500)
    floor.run(small_urm.nnz)
    draws = make_rng(3).integers(0, small_urm.nnz, size=500 + small_urm.nnz)
    ratings, ids, entries = floor.expected_checksums(draws)
    assert floor.entries_read == entries and floor.index_checksum == ids
    assert floor.rating_checksum == pytest.approx(ratings, rel=1e-12)
    assert floor.similarity() is None


def _skipping(floor: type) -> type:
    """A floor that drops the last entry of every profile: it reads less, so runs faster."""

    def _setup(self):
        floor._setup(self)
        indptr, ids, codes, scale = self._layout
        keep = np.ones(ids.size, dtype=bool)
        keep[indptr[1:] - 1] = False
        short = np.concatenate([[0], np.cumsum(np.diff(indptr) - 1)]).astype(np.int32)
        self._layout = (short, ids[keep], codes[keep], scale)

    name = f"faulty-skipping-{floor.name}"
    attrs = {"name": name, "description": "test fault: skips one entry per profile"}
    return type(name, (floor,), {**attrs, "_setup": _setup})


@pytest.mark.parametrize("name", FLOORS)
def test_check_fails_a_floor_that_skips_entries(name, check_urm):
    _available(name)
    faulty = _skipping(get_tier(name))
    with registered(faulty):
        results = {r.tier: r for r in check_tiers([name, faulty.name], data=check_urm)}
    assert results[name].passed
    assert results[faulty.name].verdict == "fail"


def test_check_cli_lists_the_fast_tiers_and_thread_counts(capsys):
    from slimbench.cli import main

    assert (
        main(
            [
                "check",
                "--epochs",
                "1",
                "--threads",
                "2",
                "--tiers",
                "cython-bucketed,cython-parallel,cython-parallel@3,floor",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for name in ["cython-bucketed", "cython-parallel", "cython-parallel@3", "floor"]:
        assert any(line.startswith(name + " ") and "PASS" in line for line in out.splitlines())
    assert "OpenMP " in out


@pytest.mark.parametrize("name", ["cython-parallel-f32", "cython-interleaved-f32"])
def test_float32_tier_diverges_where_the_reference_loss_leaves_float32(name):
    _available(name)
    urm = random_urm(4, 40, 30, 0.5)
    with pytest.raises(TrainingDiverged) as exc:
        _train(name, urm, seed=2, lr=5.0, chunks=[10_000])
    step = exc.value.step
    f32_max = float(np.finfo(np.float32).max)
    assert create("python-naive", urm, seed=2, learning_rate=5.0).run(step - 1).loss <= f32_max
    assert create("python-naive", urm, seed=2, learning_rate=5.0).run(step).loss > f32_max
    tier = create(name, urm, seed=2, learning_rate=5.0)
    with pytest.raises(TrainingDiverged):
        tier.run(10_000)
    assert np.isfinite(tier.similarity()).all()  # no inf let into S before the verdict
    with pytest.raises(InvalidInputError, match="diverged at step .* cannot train further"):
        tier.run(1)
