"""dask-bucketed: column blocks of S on Dask workers, bitwise the reference's S and loss."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.cli import main
from slimbench.impls import InvalidInputError, TrainingDiverged, create
from slimbench.impls.dask_bucketed import (
    DistributedTierError,
    balanced_item_blocks,
    dask_unavailable_reason,
    item_work,
)
from slimbench.measure.check import check_dataset, check_tiers

pytestmark = pytest.mark.skipif(
    dask_unavailable_reason() is not None, reason=str(dask_unavailable_reason())
)


@pytest.mark.parametrize("workers", [1, 2])
def test_bitwise_against_the_reference_on_the_check_data(workers, check_urm):
    results = check_tiers(
        ["dask-bucketed", "dask-bucketed-f32"],
        data=check_urm,
        epochs=3,
        options={
            "dask-bucketed": {"workers": workers},
            "dask-bucketed-f32": {"workers": workers},
        },
    )
    assert [r.verdict for r in results] == ["pass", "pass"], [r.detail for r in results]
    assert results[0].max_abs_diff == 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_s_and_loss_equal_to_the_bit_over_several_calls(seed, small_urm):
    ref = create("python-naive", small_urm, seed=seed, learning_rate=5e-4)
    tier = create("dask-bucketed", small_urm, seed=seed, learning_rate=5e-4, workers=2)
    try:
        for n in (1, 7, small_urm.nnz, 2 * small_urm.nnz + 3):  # odd call sizes, 3+ epochs
            assert tier.run(n).loss == ref.run(n).loss
        assert np.array_equal(tier.similarity(), ref.similarity())
        # the top-k per column, gathered without the dense S
        indices, values = tier.top_k(5)
        S = ref.similarity()
        for i in (0, 3, small_urm.n_items - 1):
            assert np.array_equal(np.sort(values[i])[::-1], np.sort(S[:, i])[::-1][:5])
            assert np.array_equal(S[indices[i], i], values[i])
    finally:
        tier.close()


def test_divergence_at_the_references_step_with_its_s(small_urm):
    lr = 0.2  # far above the stable rate: the loss overflows within a few epochs
    ref = create("python-naive", small_urm, seed=0, learning_rate=lr)
    with pytest.raises(TrainingDiverged) as expected:
        ref.run(50 * small_urm.nnz)
    tier = create("dask-bucketed", small_urm, seed=0, learning_rate=lr, workers=2)
    try:
        with pytest.raises(TrainingDiverged) as got:
            tier.run(50 * small_urm.nnz)
        assert got.value.step == expected.value.step
        with np.errstate(invalid="ignore"):
            assert np.array_equal(tier.similarity(), ref.similarity(), equal_nan=True)
    finally:
        tier.close()


def test_a_dead_worker_fails_the_tier_with_a_clear_error(small_urm):
    tier = create("dask-bucketed", small_urm, seed=0, workers=2)
    try:
        tier.run(100)
        os.kill(tier.actors[1].pid().result(), signal.SIGKILL)
        with pytest.raises(DistributedTierError, match="failed on a Dask worker"):
            tier.run(1000)
    finally:
        tier.close()
    assert tier.cluster is None and tier.client is None


def test_blocks_balance_work_and_rows():
    data = check_dataset()
    work = item_work(data.indptr, data.indices, data.n_items)
    blocks = balanced_item_blocks(work, 3)
    assert sorted(np.concatenate(blocks).tolist()) == list(range(data.n_items))
    assert max(b.size for b in blocks) - min(b.size for b in blocks) <= 1
    loads = [work[b].sum() for b in blocks]
    assert max(loads) / min(loads) < 1.2


def test_run_records_each_workers_peak_memory(tmp_path):
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--dataset",
            "synthetic-tiny",
            "--tiers",
            "cython-bucketed,dask-bucketed@2",
            "--budget",
            "0.5",
            "--rounds",
            "2",
            "--no-annotate",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    doc = json.loads((out / "results.json").read_text())
    dask = next(t for t in doc["tiers"] if t["name"] == "dask-bucketed@2")
    assert dask["status"] == "measured" and dask["threads"] == 2
    workers = dask["workers"]
    assert len(workers) == 2 and len({w["pid"] for w in workers}) == 2
    assert all(w["peak_bytes"] > w["start_bytes"] > 10 * 2**20 for w in workers)


def test_width_suffix_needs_a_parallel_tier(capsys):
    assert main(["check", "--tiers", "cython-rand@2"]) == 2
    assert "expected TIER@N" in capsys.readouterr().err


def test_a_block_that_does_not_fit_a_worker_is_refused_with_the_workers_it_needs():
    from distributed import LocalCluster

    # 3,000 items: W is 72 MB; the block buffers take 84 MB; workers of 120 MB hold 36 MB
    # of W each, so it takes 2 of them
    urm = sp.random(50, 3000, density=0.01, format="csr", random_state=0, dtype=np.float64)
    urm.data[:] = 4.0
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, memory_limit=120 * 2**20, processes=False
    )
    try:
        with pytest.raises(InvalidInputError, match=r"it would take 2 workers of that size"):
            create("dask-bucketed", urm, workers=1, scheduler=cluster.scheduler_address)
    finally:
        cluster.close()


def test_train_gathers_the_top_k_model_from_the_workers(tmp_path):
    import scipy.sparse as sp

    common = ["--dataset", "synthetic-tiny", "--epochs", "2", "--baselines", "none"]
    # --diagonal: dask-bucketed has no SLIM options, so both train the seed's free diagonal
    common += ["--save-top-k", "7", "--learning-rate", "1e-3", "--diagonal"]
    assert main(["train", *common, "--tier", "cython-bucketed", "--out", str(tmp_path / "a")]) == 0
    assert main(["train", *common, "--tier", "dask-bucketed", "--out", str(tmp_path / "b")]) == 0
    dense = sp.load_npz(tmp_path / "a" / "model_top7.npz")
    gathered = sp.load_npz(tmp_path / "b" / "model_top7.npz")
    assert (dense != gathered).nnz == 0  # the same S (bitwise), the same top 7 per column
    doc = json.loads((tmp_path / "b" / "train.json").read_text())
    assert any("never the dense S" in n for n in doc["notes"])


@pytest.mark.parametrize(
    "options, message",
    [
        ({"workers": 0}, "workers must be an integer in"),
        ({"workers": 10**6}, "workers must be an integer in"),
        ({"threads_per_worker": 10**5}, "threads_per_worker must be an integer in"),
        ({"workers": True}, "workers must be an integer in"),
    ],
)
def test_absurd_cluster_sizes_are_refused_before_any_cluster_starts(options, message, small_urm):
    with pytest.raises(InvalidInputError, match=message):
        create("dask-bucketed", small_urm, **options)
