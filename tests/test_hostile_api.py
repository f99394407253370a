"""Hostile input, family "API misuse": the Python boundary refuses in one line.

Cases that reached a compiled kernel before (corrupt index arrays, absurd thread counts)
run in a subprocess each, so that a segfault or an abort fails the case, not pytest.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.data.datasets import holdout_split
from slimbench.impls import SlimBenchError, TrainingDiverged, create, prepare_urm, tier_names
from slimbench.measure.timing import TimingPlan
from slimbench.sessions.run import RunOptions, RunSession

from helpers import random_urm
from hostile import api_case, assert_refused, python

CORRUPT_CSR = """
import numpy as np, scipy.sparse as sp
from slimbench.impls import create
m = sp.csr_matrix(np.ones((50, 40)))
m.indices[3] = 10**6
create({name!r}, m).run(1000)
print("ran on a corrupt matrix")
"""


@pytest.mark.parametrize("name", tier_names())
def test_no_tier_reaches_its_kernel_with_indices_outside_the_shape(name):
    outcome = python(api_case(CORRUPT_CSR.format(name=name)))
    assert_refused(outcome, r"corrupt csr matrix: a column index of 1,000,000|unavailable")


@pytest.mark.parametrize("threads", [10**6, 5000, 2**31])
def test_absurd_thread_counts_are_refused_before_openmp(threads):
    body = f"""
from slimbench.impls import create
from slimbench.measure.check import check_dataset
create("cython-parallel", check_dataset(), threads={threads}).run(10_000)
print("ran")
"""
    pattern = rf"threads must be an integer in \[1, \d+\] \(8 per usable core, .*got {threads:,}"
    assert_refused(python(api_case(body)), pattern)


def _corrupt(fmt: str, what: str):
    m = sp.csr_matrix(np.ones((5, 4))).asformat(fmt)
    if fmt == "coo":
        m.col[0] = -3 if what == "negative" else 99
    elif what == "decreasing":
        m.indptr[2] = m.indptr[3] + 1
    elif what == "short":
        m.indptr[-1] -= 1
    else:
        m.indices[0] = -3 if what == "negative" else 99
    return m


URMS = [
    (_corrupt("csr", "big"), r"corrupt csr matrix: a column index of 99 lies outside \[0, 4\)"),
    (_corrupt("csr", "negative"), r"corrupt csr matrix: a column index of -3"),
    (_corrupt("csr", "decreasing"), r"corrupt csr matrix: indptr decreases"),
    (_corrupt("csr", "short"), r"corrupt csr matrix: indptr runs from 0 to 19, not 0 to 20"),
    (_corrupt("csc", "big"), r"corrupt csc matrix: a row index of 99 lies outside \[0, 5\)"),
    (_corrupt("csc", "decreasing"), r"corrupt csc matrix: indptr decreases"),
    (_corrupt("coo", "big"), r"corrupt coo matrix: a column index of 99"),
    (_corrupt("coo", "negative"), r"corrupt coo matrix: a column index of -3"),
    (sp.csr_matrix(np.full((2, 2), 1e308)), r"4 ratings beyond \+-1e\+15"),
    (sp.csr_matrix(np.full((2, 2), -1e16)), r"ratings beyond \+-1e\+15"),
    (np.array([[1.0, np.inf]]), r"1 non-finite rating"),
    (np.array([[object()]]), r"must hold real numbers, got dtype object"),
    ([[1, 2]], r"must be a scipy.sparse matrix or a 2-D numpy array"),
]


def _hand_built():
    from slimbench.impls.urm import TrainingData

    good = prepare_urm(sp.csr_matrix(np.ones((5, 4))))
    bad = good.csr.copy()
    bad.indices[0] = 99
    return TrainingData(csr=bad, rows=good.rows)


URMS.append((_hand_built(), r"corrupt csr matrix: a column index of 99"))


@pytest.mark.parametrize("urm,pattern", URMS)
def test_unsafe_urms_are_refused_at_the_boundary(urm, pattern):
    with pytest.raises(SlimBenchError, match=pattern) as exc:
        prepare_urm(urm)
    assert "\n" not in str(exc.value)


URM = random_urm(0, 12, 10, 0.5)

TIER_CALLS = [
    (lambda: create("cython-rand", URM, seed=2**32), r"seed must be .*, got 4,294,967,296"),
    (lambda: create("python-naive", URM, seed=2**64), r"seed must be an integer in \[0, "),
    (lambda: create("cython-typed", URM, seed=-1), r"seed must be an integer in \[0, .*got -1"),
    (lambda: create("cython-typed", URM, seed=1.5), r"seed must be an integer in \[0, .*got 1.5"),
    (lambda: create("cython-typed", URM, learning_rate=float("nan")), r"positive finite"),
    (lambda: create("cython-typed", URM, learning_rate="1e-6"), r"positive finite"),
    (lambda: create("cython-parallel", URM, threads=0), r"threads must be an integer in \[1, "),
    (lambda: create("cython-parallel", URM, threads=10**6), r"\(8 per usable core"),
    (lambda: create("cython-typo", URM), r"unknown tier 'cython-typo'"),
    (lambda: create("cython-typed", URM).run(10**13), r"n_steps must be .* 1,000,000,000,000\]"),
    (lambda: create("cython-typed", URM).run(-1), r"n_steps must be an integer in \["),
    (lambda: create("cython-typed", URM).run(True), r"n_steps must be .*got True"),
    (lambda: create("cython-rand", URM).replay([URM.nnz]), r"replay indices must lie in \[0, nnz"),
    (lambda: create("cython-rand", URM).replay([-1]), r"replay indices must lie in"),
    (lambda: create("cython-rand", URM).replay([0.5]), r"replay indices must be a 1-D integer"),
    (lambda: create("cython-rand", URM).replay([[0]]), r"replay indices must be a 1-D integer"),
    (lambda: holdout_split(URM, train_share=1.5), r"train_share=1.5 must lie strictly"),
    (lambda: TimingPlan(budget_seconds=1e10), r"budget per tier must be .* \(a week\)"),
    (lambda: TimingPlan(budget_seconds=True), r"budget per tier must be"),
    (lambda: TimingPlan(budget_seconds=float("nan")), r"budget per tier must be"),
    (lambda: TimingPlan(rounds=10**6), r"rounds must be an integer in \[1, 10,000\]"),
    (lambda: TimingPlan(budget_seconds=5, warmup_seconds=9), r"warm-up \(9 s\) must be shorter"),
    (lambda: TimingPlan(warmup_seconds=float("nan")), r"warm-up must be .* in \[0, "),
]


@pytest.mark.parametrize("call,pattern", TIER_CALLS)
def test_tier_api_misuse(call, pattern):
    with pytest.raises(SlimBenchError, match=pattern) as exc:
        call()
    assert "\n" not in str(exc.value)


RUN_OPTIONS = [
    ({"tiers": ["floor", "floor"]}, r"listed more than once: floor"),
    ({"tiers": ["nope"]}, r"unknown tier 'nope'"),
    ({"threads": 10**6}, r"threads must be an integer in \[1, .*got 1,000,000"),
    ({"threads": 0}, r"threads must be an integer in \[1, .*got 0"),
    ({"threads": -2}, r"threads must be an integer in \[1, .*got -2"),
    ({"epochs": 10**9}, r"epochs must be an integer in \[1, 1,000,000\], got 1,000,000,000"),
    ({"epochs": 2.5}, r"epochs must be an integer in \[1, .*got 2.5"),
    ({"seed": -1}, r"seed must be an integer in \[0, .*got -1"),
    ({"seed": 2**32}, r"seed must be an integer in \[0, 4,294,967,295\]"),
    ({"budget_seconds": 1e10}, r"budget per tier must be"),
    ({"rounds": 0}, r"rounds must be an integer in \[1, 10,000\]"),
    ({"budget_seconds": 2, "warmup_seconds": 3}, r"warm-up \(3 s\) must be shorter"),
]


@pytest.mark.parametrize("options,pattern", RUN_OPTIONS)
def test_run_options_from_python(options, pattern, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SlimBenchError, match=pattern):
        RunSession(RunOptions(dataset="synthetic-tiny", out_dir=tmp_path / "out", **options))
    assert not (tmp_path / "out").exists()  # refused before the folder is made


@pytest.mark.parametrize("name", ["python-naive", "cython-transposed", "cython-parallel-f32"])
def test_a_diverged_tier_refuses_to_go_on(name):
    tier = create(name, URM, seed=1, learning_rate=50.0)
    with pytest.raises(TrainingDiverged):
        tier.run(100_000)
    with pytest.raises(SlimBenchError, match=r"diverged at step [\d,]+ and cannot train further"):
        tier.run(10)


def test_cython_rand_seeds_at_the_edge_give_different_streams():
    a = create("cython-rand", URM, seed=0, learning_rate=1e-3)
    b = create("cython-rand", URM, seed=2**32 - 1, learning_rate=1e-3)
    a.run(200)
    b.run(200)
    assert not np.array_equal(a.similarity(), b.similarity())


def test_a_round_never_asks_a_tier_for_more_steps_than_run_takes():
    from slimbench.impls import RunResult
    from slimbench.impls.base import MAX_STEPS
    from slimbench.measure.timing import TierClock

    class Instant:  # a tier whose steps cost a femtosecond: the rate a coarse clock may see
        now = 0.0
        asked: list[int] = []

        def run(self, n):
            assert n <= MAX_STEPS
            self.asked.append(n)
            self.now += n * 1e-15
            return RunResult(n, 0.0)

    tier = Instant()
    clock = TierClock(tier, TimingPlan(budget_seconds=7 * 24 * 3600.0, rounds=2), lambda: tier.now)
    clock.warmup = [None]  # skip the doubling warm-up; calibrate on one huge chunk instead
    clock._rate = 1e15
    clock.next_round()
    assert tier.asked == [MAX_STEPS]
