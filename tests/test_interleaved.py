"""cython-interleaved: its compact layout is exact or not used, its two lanes, prefetching
and thread counts change nothing in S or the loss, and every tier's "% floor" is against
the floor that reads its own profile layout."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import create, get_tier, registered, tier_names
from slimbench.impls.cython_interleaved import (
    CythonInterleaved,
    profile_layout,
    rating_codes,
    why_not_compact,
)
from slimbench.impls.registry import floor_by_layout
from slimbench.measure.check import check_dataset
from slimbench.output.results import derive_ratios, recorded_floor


def _available(name):
    reason = get_tier(name).unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.mark.parametrize(
    "ratings,scale",
    [
        ([0.5, 1.0, 4.5, 5.0], 0.5),  # MovieLens half stars
        ([1.0, 2.0, 10.0, 255.0], 1.0),  # integer scales, up to the largest code
        ([0.25, 3.75, 1.0], 0.25),
        ([2.0**-7, 1.0], 2.0**-7),  # the finest step a code holds
        ([0.0, 0.0], 1.0),
    ],
)
def test_rating_codes_are_exact(ratings, scale):
    values = np.array(ratings)
    codes, found = rating_codes(values)
    assert codes.dtype == np.uint8 and found == scale
    assert np.array_equal(codes.astype(np.float64) * found, values)
    assert np.array_equal(codes.astype(np.float32) * np.float32(found), values.astype(np.float32))


@pytest.mark.parametrize(
    "ratings", [[3.7, 1.0], [-1.0, 2.0], [256.0], [2.0**-8], [1.0, np.nan], [np.inf]]
)
def test_ratings_without_an_exact_code_are_kept_as_they_are(ratings):
    assert rating_codes(np.array(ratings)) is None


def test_the_layout_falls_back_part_by_part():
    indices = np.array([0, 5, 70_000], dtype=np.int32)
    half = np.array([1.0, 2.5, 5.0])
    ids, codes, scale = profile_layout(indices, half, 70_001, compact=True)
    assert ids.dtype == np.int32 and codes.dtype == np.uint8 and scale == 0.5
    ids, codes, scale = profile_layout(indices[:2], np.array([3.7, 1.0]), 10, compact=True)
    assert ids.dtype == np.uint16 and codes.dtype == np.float64 and scale == 1.0
    ids, codes, _ = profile_layout(indices[:2], half[:2], 10, compact=False)
    assert ids is indices[:2] or ids.dtype == np.int32
    assert codes.dtype == np.float64

    class Catalog:
        n_items = 70_001

    layout = (None, np.zeros(1, np.int32), np.zeros(1, np.float64), 1.0)
    reason = why_not_compact(Catalog(), layout)
    assert "70,001 items" in reason and "no exact uint8 code" in reason


def _lanes(lanes: int, prefetch: bool) -> type:
    name = f"interleaved-lanes{lanes}{'-prefetch' if prefetch else ''}"
    attrs = {"name": name, "lanes": lanes, "prefetch": prefetch}
    return type(name, (CythonInterleaved,), attrs)


def _train(name, urm, *, seed=4, lr=5e-5, chunks, **options):
    tier = create(name, urm, seed=seed, learning_rate=lr, **options)
    losses = [tier.run(n).loss for n in chunks]
    return tier, losses


@pytest.mark.parametrize("lanes,prefetch", [(1, False), (1, True), (2, False), (2, True)])
def test_lanes_and_prefetch_change_nothing(lanes, prefetch):
    # long and short profiles, items drawn again and again, several epochs: each lane
    # finishing a step while the other is mid-profile, and handing over items, is exercised
    urm = check_dataset(seed=5, n_users=250, n_items=150)
    chunks = [urm.nnz] * 3
    ref, ref_losses = _train("python-naive", urm, chunks=chunks)
    variant = _lanes(lanes, prefetch)
    with registered(variant):
        for threads in (1, 2, 3):
            tier, losses = _train(variant.name, urm, chunks=chunks, threads=threads)
            assert np.array_equal(tier.similarity(), ref.similarity())
            assert losses == ref_losses  # the loss to the bit


@pytest.mark.parametrize("name", ["cython-interleaved", "cython-interleaved-f32"])
def test_ratings_without_codes_train_on_the_wide_layout(name):
    _available(name)
    d = check_dataset(seed=6, n_users=120, n_items=60)
    # 0.6, 1.1, ...: no exact uint8 code exists
    odd = sp.csr_matrix((d.ratings + 0.1, d.indices, d.indptr), shape=(d.n_users, d.n_items))
    chunks = [odd.nnz] * 2
    ref, ref_losses = _train("python-naive", odd, chunks=chunks)
    tier, losses = _train(name, odd, chunks=chunks, threads=2)
    assert any("compact layout not possible" in n and "uint8 code" in n for n in tier.notes)
    assert tier.bytes_per_entry == 2 + np.dtype(get_tier(name).dtype).itemsize
    S, S_ref = np.asarray(tier.similarity(), dtype=np.float64), ref.similarity()
    if get_tier(name).exactness == "bitwise":
        assert np.array_equal(S, S_ref) and losses == ref_losses
    else:
        assert np.abs(S - S_ref).max() <= get_tier(name).tolerance * np.abs(S_ref).max()


def test_the_compact_layout_is_used_on_half_stars(small_urm):
    tier = create("cython-interleaved", small_urm, threads=1)
    assert tier.layout == "uint16 id + uint8 rating (3 B)" and tier.bytes_per_entry == 3
    assert not any("compact" in n for n in tier.notes)


def test_every_tier_has_a_floor_of_its_own_layout():
    for name in tier_names():
        cls = get_tier(name)
        if cls.exactness == "floor":
            assert floor_by_layout(name) is None
            continue
        floor = get_tier(floor_by_layout(name))
        assert floor.exactness == "floor", name
        assert floor.profile_layout_name == cls.profile_layout_name, name
    assert floor_by_layout("cython-parallel") == "floor"
    assert floor_by_layout("cython-parallel-f32") == "floor-f32"
    assert floor_by_layout("cython-interleaved") == "floor-compact"


def _entry(name, speed, floor="floor", exactness="bitwise"):
    return {
        "name": name,
        "exactness": exactness,
        "floor": floor,
        "samples_per_second": {"median": speed},
        "rounds": [],
    }


def test_percent_of_floor_is_against_the_tiers_own_floor():
    tiers = [
        _entry("cython-parallel", 1.0e6),
        _entry("cython-interleaved", 3.0e6, floor="floor-compact"),
        _entry("cython-parallel-f32", 1.5e6, floor="floor-f32"),  # its floor not in the run
        _entry("floor", 4.0e6, floor=None, exactness="floor"),
        _entry("floor-compact", 6.0e6, floor=None, exactness="floor"),
    ]
    derive_ratios(tiers, paired=False)
    by = {t["name"]: t for t in tiers}
    assert by["cython-parallel"]["percent_of_floor"] == 25.0
    assert by["cython-interleaved"]["percent_of_floor"] == 50.0
    assert by["cython-parallel-f32"]["percent_of_floor"] is None  # never a wrong floor
    assert by["floor"]["percent_of_floor"] is None
    # a results file from before the floors were per layout: its one floor was "floor"
    assert recorded_floor({"name": "cython-parallel", "exactness": "bitwise"}) == "floor"
    assert recorded_floor({"name": "floor", "exactness": "floor"}) is None


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_step_sort_is_stable_at_any_thread_count(threads, dtype):
    from slimbench.impls._compiled import require_compiled

    kernel = require_compiled("_cython_interleaved")
    rng = np.random.default_rng(threads)
    n_items, nnz, n = 37, 5_000, 200_003  # past the size from which the sort is parallel
    draw_item = rng.integers(0, n_items, nnz).astype(np.int32)
    draw_item[:5] = 36  # a popular item, and item 0 never drawn below
    draw_item[draw_item == 0] = 1
    draw_user = rng.integers(0, 999, nnz).astype(np.int32)
    draw_rating = (rng.integers(1, 11, nnz) / 2).astype(dtype)
    draws = rng.integers(0, nnz, n)
    order, step_user = np.empty(n, np.int32), np.empty(n, np.int32)
    step_rating, item_ptr = np.empty(n, dtype), np.empty(n_items + 1, np.int64)
    kernel.sort_steps(draws, draw_item, draw_user, draw_rating, n_items,
                      order, step_user, step_rating, item_ptr, threads)
    expected = np.argsort(draw_item[draws], kind="stable")
    assert np.array_equal(order, expected)
    assert np.array_equal(step_user, draw_user[draws[expected]])
    assert np.array_equal(step_rating, draw_rating[draws[expected]])
    counts = np.bincount(draw_item[draws], minlength=n_items)
    assert np.array_equal(item_ptr, np.concatenate([[0], np.cumsum(counts)]))
    assert item_ptr[1] == 0  # the empty bucket


def test_a_run_records_the_layout_the_tier_fell_back_to(tmp_path):
    import json

    from slimbench.cli import main

    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 80, 2_000), rng.integers(0, 50, 2_000)
    ratings = rng.random(2_000) * 5 + 0.1  # no exact uint8 code for these
    rows = "\n".join(f"{u},{i},{r}" for u, i, r in zip(users, items, ratings, strict=True))
    (tmp_path / "odd.csv").write_text("user,item,rating\n" + rows + "\n")
    argv = ["run", "--dataset", f"csv:{tmp_path / 'odd.csv'}", "--tiers", "cython-interleaved",
            "--budget", "1", "--rounds", "2", "--no-annotate", "--no-bandwidth",
            "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    entry = json.loads((tmp_path / "run" / "results.json").read_text())["tiers"][0]
    assert entry["bytes_per_entry"] == 2 + 8  # uint16 ids, float64 ratings: not the class's 3
    assert any("compact layout not possible" in n for n in entry["notes"])
