"""cython-interleaved-simd-f32: within cython-interleaved-f32's tolerance of python-naive,
and of cython-interleaved-f32 itself, at 1, 2 and 3 threads, one or two lanes, on profiles
of every length mod 8 (and mod 16: its two accumulators); its S the same at any thread
count and lane count (its sums depend on the profile alone); the scalar step where the
data has no compact layout, where SLIMBENCH_SIMD=off, and unavailable without AVX2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import TierUnavailableError, create, get_tier, registered
from slimbench.impls._compiled import load_compiled
from slimbench.impls.cython_interleaved_simd import CythonInterleavedSimdF32
from slimbench.measure.check import check_dataset, check_tiers

from helpers import every_length_profiles

NAME = "cython-interleaved-simd-f32"
SCALAR = "cython-interleaved-f32"
TOLERANCE = get_tier(NAME).tolerance


@pytest.fixture(autouse=True)
def _available(monkeypatch):
    monkeypatch.delenv("SLIMBENCH_SIMD", raising=False)
    reason = get_tier(NAME).unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """max|a - b| relative to max|b| (the class close's measure)."""
    b = np.asarray(b, dtype=np.float64)
    return float(np.abs(np.asarray(a, dtype=np.float64) - b).max() / np.abs(b).max())


def _variant(lanes: int, prefetch: bool) -> type:
    name = f"simd-f32-lanes{lanes}{'-prefetch' if prefetch else ''}"
    attrs = {"name": name, "lanes": lanes, "prefetch": prefetch}
    return type(name, (CythonInterleavedSimdF32,), attrs)


@pytest.mark.parametrize("lanes,prefetch", [(1, False), (2, False), (2, True)])
def test_within_tolerance_of_the_reference_and_the_same_at_any_thread_count(lanes, prefetch):
    urm = check_dataset(seed=5, n_users=250, n_items=150)
    ref = create("python-naive", urm, seed=4, learning_rate=5e-5)
    scalar = create(SCALAR, urm, seed=4, learning_rate=5e-5)
    for tier in (ref, scalar):
        tier.run(3 * urm.nnz)
    variant = _variant(lanes, prefetch)
    first = None
    with registered(variant):
        for threads in (1, 2, 3):
            tier = create(variant.name, urm, seed=4, learning_rate=5e-5, threads=threads)
            tier.run(3 * urm.nnz)
            assert tier._simd is not None and tier.instruction_set == "avx2"
            assert _distance(tier.similarity(), ref.similarity()) <= TOLERANCE
            assert tier.loss == pytest.approx(ref.loss, rel=1e-5)
            first = tier.similarity() if first is None else first
            assert np.array_equal(tier.similarity(), first)  # threads change nothing
    assert _distance(first, scalar.similarity()) <= TOLERANCE


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_kernel_stays_near_cython_interleaved_f32_on_long_profiles(threads):
    urm = every_length_profiles(threads, 400, 257)
    a = create(NAME, urm, seed=7, learning_rate=2e-4, threads=threads)
    b = create(SCALAR, urm, seed=7, learning_rate=2e-4, threads=threads)
    one_lane = _variant(1, True)
    with registered(one_lane):
        c = create(one_lane.name, urm, seed=7, learning_rate=2e-4, threads=threads)
        for n in (50_000, 3, 20_000):
            la, lb, lc = a.run(n).loss, b.run(n).loss, c.run(n).loss
            assert la == pytest.approx(lb, rel=1e-4) and la == lc
    assert _distance(a.similarity(), b.similarity()) <= TOLERANCE
    assert np.array_equal(a.similarity(), c.similarity())  # one lane or two: the same sums
    assert np.count_nonzero(a.similarity()) > urm.shape[1]


def test_the_prediction_is_reassociated_not_the_scalar_chain():
    # on long profiles the 16 partial sums round differently from the one chain: were S
    # equal to the bit, the kernel would not be running
    urm = every_length_profiles(1, 400, 257)
    a = create(NAME, urm, seed=7, learning_rate=2e-4)
    b = create(SCALAR, urm, seed=7, learning_rate=2e-4)
    a.run(50_000)
    b.run(50_000)
    assert not np.array_equal(a.similarity(), b.similarity())


def test_the_check_passes_it_at_every_thread_count():
    names = [NAME, f"{NAME}@1", f"{NAME}@2", f"{NAME}@3"]
    for result in check_tiers(names, data=check_dataset(), epochs=2):
        assert result.passed, result.line()


def test_ratings_without_codes_run_the_scalar_step():
    d = check_dataset(seed=6, n_users=120, n_items=60)
    odd = sp.csr_matrix((d.ratings + 0.1, d.indices, d.indptr), shape=(d.n_users, d.n_items))
    tier = create(NAME, odd, seed=4, learning_rate=5e-5, threads=2)
    scalar = create(SCALAR, odd, seed=4, learning_rate=5e-5, threads=2)
    for t in (tier, scalar):
        t.run(2 * odd.nnz)
    assert tier._simd is None and tier.instruction_set == "baseline"
    assert any("AVX2 step needs the compact layout" in n for n in tier.notes)
    assert np.array_equal(tier.similarity(), scalar.similarity()) and tier.loss == scalar.loss


def test_simd_off_runs_the_scalar_step_and_says_so(monkeypatch):
    urm = check_dataset(seed=5, n_users=250, n_items=150)
    monkeypatch.setenv("SLIMBENCH_SIMD", "off")
    for name, scalar_name in ((NAME, SCALAR), ("cython-interleaved-simd", "cython-interleaved")):
        tier = create(name, urm, seed=4, learning_rate=5e-5, threads=2)
        scalar = create(scalar_name, urm, seed=4, learning_rate=5e-5, threads=2)
        for t in (tier, scalar):
            t.run(urm.nnz)
        assert tier._simd is None and tier.instruction_set == "baseline"
        assert any("SLIMBENCH_SIMD=off" in n and scalar_name in n for n in tier.notes)
        assert np.array_equal(tier.similarity(), scalar.similarity())
        assert tier.loss == scalar.loss


@pytest.mark.parametrize("setting", ["avx2", "AVX2", "auto", ""])
def test_simd_auto_or_avx2_runs_the_kernel(monkeypatch, setting, small_urm):
    monkeypatch.setenv("SLIMBENCH_SIMD", setting)
    tier = create(NAME, small_urm)
    assert tier._simd is not None and tier.instruction_set == "avx2" and not tier.notes


def test_an_unknown_setting_makes_the_simd_tiers_unavailable(monkeypatch, small_urm):
    monkeypatch.setenv("SLIMBENCH_SIMD", "avx512")
    for name in (NAME, "cython-interleaved-simd"):
        reason = get_tier(name).unavailable_reason()
        assert reason == "SLIMBENCH_SIMD='avx512' is not one of auto, off, avx2"
        with pytest.raises(TierUnavailableError, match="is not one of auto, off, avx2"):
            create(name, small_urm)
    assert get_tier(SCALAR).unavailable_reason() is None  # the scalar tiers do not read it


def test_a_cpu_without_avx2_makes_the_tier_unavailable_unless_off(monkeypatch, small_urm):
    module, _ = load_compiled("_cython_interleaved_simd")
    why = 'this CPU (or OS) does not run AVX2 (__builtin_cpu_supports("avx2") is false)'
    monkeypatch.setattr(module, "simd_unavailable_reason", lambda: why)
    assert get_tier(NAME).unavailable_reason() == why
    with pytest.raises(TierUnavailableError, match="does not run AVX2"):
        create(NAME, small_urm)
    monkeypatch.setenv("SLIMBENCH_SIMD", "avx2")
    assert get_tier(NAME).unavailable_reason() == f"SLIMBENCH_SIMD=avx2, but {why}"
    monkeypatch.setenv("SLIMBENCH_SIMD", "off")  # the scalar step runs anywhere
    assert create(NAME, small_urm).instruction_set == "baseline"


def test_a_run_records_the_instruction_set_and_the_override(tmp_path, monkeypatch):
    from slimbench.cli import main

    def run(out: str) -> dict:
        argv = ["run", "--dataset", "synthetic-tiny", "--tiers",
                f"cython-interleaved-f32,{NAME},cython-interleaved-simd", "--budget", "0.3",
                "--rounds", "2", "--no-annotate", "--no-bandwidth", "--out", str(tmp_path / out)]
        assert main(argv) == 0
        doc = json.loads((tmp_path / out / "results.json").read_text())
        return {t["name"]: t for t in doc["tiers"]}

    chosen = run("auto")
    assert chosen[NAME]["instruction_set"] == chosen["cython-interleaved-simd"]["instruction_set"]
    assert chosen[NAME]["instruction_set"] == "avx2" and chosen[NAME]["status"] == "measured"
    assert "instruction_set" not in chosen["cython-interleaved-f32"]  # one build only
    monkeypatch.setenv("SLIMBENCH_SIMD", "off")  # the tiers' worker processes inherit it
    forced = run("off")
    for name in (NAME, "cython-interleaved-simd"):
        assert forced[name]["instruction_set"] == "baseline", forced[name]
        assert any("SLIMBENCH_SIMD=off" in n for n in forced[name]["notes"])
        assert forced[name]["status"] == "measured"
