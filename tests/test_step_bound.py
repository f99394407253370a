"""The step-bound probe (python -m slimbench.measure.step_bound): its two step variants are
the tiers' steps to the bit (S and every squared error), its loads-alone variants load
exactly the entries the step loads, its loads+stores-alone update changes no bit of W, and
the command prints its table on a small dataset."""

from __future__ import annotations

import numpy as np
import pytest

from slimbench.impls import create, get_tier
from slimbench.impls._compiled import load_compiled
from slimbench.measure import step_bound

from helpers import every_length_profiles

probe, _ = load_compiled(step_bound.PROBE_MODULE)
VARIANTS = {name: k for k, (name, _) in enumerate(probe.variants())} if probe else {}


@pytest.fixture(autouse=True)
def _available():
    reason = get_tier("cython-interleaved-simd").unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    assert probe is not None


def _trained_block(dtype: str):
    """A tier of ``dtype`` trained a little (W not zero) and its next sorted block."""
    urm = every_length_profiles(3, 300, 257)
    tier = create(step_bound.TIERS[dtype], urm, seed=2, learning_rate=2e-4, threads=1)
    tier.run(20_000)
    return tier, step_bound.sorted_block(tier, 30_000)


def _args(tier, block, W):
    indptr, ids, codes, scale = tier._layout
    squared = np.full(block[0].shape[0], -1.0)
    return (ids, codes, scale, indptr, W, tier.learning_rate, *block, squared), squared


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "variant,kernel",
    [("step_scalar", "_kernel"), ("step_avx2", "_simd"), ("step_avx2_vadd", "_simd")],
)
def test_the_step_variants_are_the_tiers_steps_to_the_bit(dtype, variant, kernel):
    tier, block = _trained_block(dtype)
    assert np.count_nonzero(tier.W) > 1000
    ours, theirs = tier.W.copy(), tier.W.copy()
    args, sq_ours = _args(tier, block, ours)
    probe.run_variant(VARIANTS[variant], *args)
    args, sq_theirs = _args(tier, block, theirs)
    getattr(tier, kernel).train_block(*args, 1, False, 0.0, True, 2)
    assert np.array_equal(ours, theirs) and not np.array_equal(ours, tier.W)
    assert np.array_equal(sq_ours, sq_theirs) and (sq_ours >= 0).all()


def _touched(tier, block) -> np.ndarray:
    """A boolean W: the entries the block's steps read (W[item, id] of each profile entry)."""
    indptr = tier._layout[0]
    ids = tier._layout[1]
    order, step_user, _, item_ptr, _ = block
    touched = np.zeros(tier.W.shape, dtype=bool)
    items = np.repeat(np.arange(item_ptr.shape[0] - 1), np.diff(item_ptr))
    for item, user in zip(items, step_user, strict=True):
        touched[item, ids[indptr[user]:indptr[user + 1]]] = True
    return touched


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_loads_alone_load_exactly_the_steps_entries(dtype):
    tier, block = _trained_block(dtype)
    touched = _touched(tier, block)
    sentinel = np.where(touched, tier.W, np.nan).astype(tier.W.dtype)
    loads = ["pred_scalar", "pred_loads_scalar", "pred_loads_avx2", "skeleton_scalar",
             "skeleton_avx2"]
    for name in loads:  # NaN wherever the step does not read: nothing of it is loaded
        args, sq = _args(tier, block, sentinel.copy())
        probe.run_variant(VARIANTS[name], *args)
        assert np.isfinite(sq).all(), name
    rng = np.random.default_rng(0)
    rows, cols = np.nonzero(touched)
    for pick in rng.choice(rows.shape[0], 6, replace=False):  # one read entry NaN: it is read
        W = tier.W.copy()
        W[rows[pick], cols[pick]] = np.nan
        for name in loads:
            args, sq = _args(tier, block, W.copy())
            probe.run_variant(VARIANTS[name], *args)
            assert np.isnan(sq).any(), (name, rows[pick], cols[pick])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_update_loads_and_stores_change_no_bit_of_W(dtype):
    tier, block = _trained_block(dtype)
    W = np.where(_touched(tier, block), tier.W, np.nan).astype(tier.W.dtype)
    before = W.copy()
    for name in ("update_loads_stores", "skeleton_scalar", "skeleton_avx2", "skeleton_l1"):
        args, _ = _args(tier, block, W)
        probe.run_variant(VARIANTS[name], *args)
        assert np.array_equal(W.view(np.uint8), before.view(np.uint8)), name
    args, _ = _args(tier, block, W)
    probe.run_variant(VARIANTS["update_scalar"], *args)  # the control: this one does write
    assert not np.array_equal(W, before, equal_nan=True)


def test_the_command_prints_its_table(capsys, monkeypatch):
    monkeypatch.setattr(
        "sys.argv",
        ["step_bound", "--dataset", "synthetic-tiny", "--steps", "2000", "--rounds", "2"],
    )
    step_bound.main()
    out = capsys.readouterr().out
    for dtype in ("float64 (cython-interleaved-simd)", "float32 (cython-interleaved-simd-f32)"):
        assert dtype in out
    assert out.count("| tier step, scalar | ") == 2 and "skeleton" not in out
    assert "both passes' loads+stores alone, AVX2 builds" in out
    assert out.count("- wall: the SIMD tier's step") == 2 and out.count("- cpu: ") == 2
