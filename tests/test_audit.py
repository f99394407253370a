"""The audit's parts: the column-restricted reference is python-naive to the bit, the stream
replay snapshots the right counts whatever its block size, cython-rand's libc stream is
reproduced in a fresh process, floors' checksums are recomputed, verdicts and the
bisection say what they should."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from slimbench.impls import InvalidInputError, create, make_rng
from slimbench.impls._compiled import require_compiled
from slimbench.impls.audit_reference import ColumnReference
from slimbench.impls.slim import SlimOptions
from slimbench.measure.audit import (
    AuditRecord,
    FloorChecksums,
    audit_items,
    checksums_from_counts,
    compare_columns,
    compare_floor,
    first_differing_step,
    floor_checksums,
    reference_columns,
    user_draw_counts,
)
from slimbench.measure.check import CHECK_LEARNING_RATE, check_dataset

LR = CHECK_LEARNING_RATE
SLIM = [{}, {"no_diagonal": True}, {"l2": 0.3}, {"no_diagonal": True, "l2": 0.3}]


@pytest.fixture(scope="module")
def data():
    """Long (200 items) and one-item profiles, heavy-tailed popularity, half stars."""
    return check_dataset(seed=3)


@pytest.fixture(scope="module")
def small():
    """As ``data`` on 120 users x 80 items (profiles of 1 to 80): python-naive is slow."""
    return check_dataset(seed=3, n_users=120, n_items=80)


def naive_columns(data, seed, calls, items, slim=None):
    """python-naive's S[:, items] after each call of ``calls`` (cumulative counts as keys)."""
    tier = create("python-naive", data, seed=seed, learning_rate=LR, **(slim or {}))
    out, done = {}, 0
    for n in calls:
        tier.run(n)
        done += n
        out[done] = tier.similarity()[:, items].copy()
    return out


@pytest.mark.parametrize("slim", SLIM, ids=lambda o: SlimOptions(**o).describe())
def test_reference_columns_are_python_naive_to_the_bit_at_every_snapshot(small, slim):
    data = small
    items = audit_items(data, seed=5, n=30)
    calls = [data.nnz, 777, data.nnz]  # several epochs, a call that ends mid-block
    expected = naive_columns(data, 5, calls, items, slim)
    got = reference_columns(data, 5, LR, slim, items, expected.keys(), block=1000)
    assert sorted(got) == sorted(expected)
    for count, cols in expected.items():
        assert np.count_nonzero(cols) > cols.size // 10  # S mixed many updates
        assert got[count].shape == (data.n_items, items.size)
        assert np.array_equal(got[count], cols), count


@pytest.mark.parametrize("slim", [{}, {"no_diagonal": True, "l2": 0.3}], ids=["plain", "slim"])
def test_snapshots_do_not_depend_on_the_block_size_or_the_threads(data, slim):
    items = audit_items(data, seed=2, n=12)
    counts = [0, 1, 999, 5000]
    runs = [
        reference_columns(data, 2, LR, slim, items, counts, block=block, threads=threads)
        for block, threads in [(1, 1), (7, 1), (4096, 1), (7, 2), (4096, 2)]
    ]
    for count in counts:
        for run in runs[1:]:
            assert np.array_equal(runs[0][count], run[count])
    assert not np.any(runs[0][0]) and np.count_nonzero(runs[0][5000]) > 0


def test_audit_items_hold_the_edge_cases_and_follow_the_seed(data):
    items = audit_items(data, seed=9)
    popularity = np.bincount(data.indices, minlength=data.n_items)
    trained = np.flatnonzero(popularity)
    assert items.dtype == np.int32 and np.all(np.diff(items) > 0)
    assert items.size == 40
    assert {0, data.n_items - 1, int(np.argmax(popularity))} <= set(items.tolist())
    assert int(trained[np.argmin(popularity[trained])]) in items
    longest = int(np.argmax(np.diff(data.indptr)))
    profile = set(data.indices[data.indptr[longest] : data.indptr[longest + 1]].tolist())
    assert len(profile & set(items.tolist())) >= 2
    assert np.array_equal(items, audit_items(data, seed=9))
    assert not np.array_equal(items, audit_items(data, seed=10))
    assert audit_items(data, seed=9, n=1000).size == data.n_items


def test_libc_rand_stream_is_cython_rands_in_a_fresh_process(data, tmp_path):
    """cython-rand runs in its own process; the replay draws libc rand() in another."""
    items = audit_items(data, seed=4, n=20)
    calls = [1500, data.nnz]
    out = tmp_path / "cols.npy"
    script = textwrap.dedent(
        f"""
        import numpy as np
        from slimbench.impls import create
        from slimbench.measure.check import check_dataset
        data = check_dataset(seed=3)
        tier = create("cython-rand", data, seed=4, learning_rate={LR!r})
        for n in {calls!r}:
            tier.run(n)
        np.save({str(out)!r}, tier.similarity()[:, {items.tolist()!r}])
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    tier_cols = np.load(out)
    libc = require_compiled("_cython_rand")
    libc.seed_rand(12345)  # this process's libc state is not the stream's
    libc.draw_indices(data.nnz, 3)
    got = reference_columns(data, 4, LR, None, items, [sum(calls)], stream="libc-rand")
    assert np.count_nonzero(tier_cols) > 0
    assert np.array_equal(got[sum(calls)], tier_cols)
    pcg = reference_columns(data, 4, LR, None, items, [sum(calls)])
    assert not np.array_equal(pcg[sum(calls)], tier_cols)  # another stream, another S


@pytest.mark.parametrize("name,dtype", [("floor", np.float64), ("floor-f32", np.float32)])
def test_floor_checksums_are_the_floors_own(data, name, dtype):
    tier = create(name, data, seed=6)
    calls = [data.nnz, 1234]
    for n in calls:
        tier.run(n)
    expected = floor_checksums(data, 6, sum(calls), dtype, block=1000)
    reported = FloorChecksums(tier.rating_checksum, tier.index_checksum, tier.entries_read)
    assert reported.entries == expected.entries and reported.item_ids == expected.item_ids
    assert compare_floor(reported, expected).passed
    fewer = floor_checksums(data, 6, sum(calls) - 1, dtype)
    assert not compare_floor(reported, fewer).passed
    one_pass = user_draw_counts(data, 6, [sum(calls) - 1, sum(calls)], block=999)
    assert checksums_from_counts(data, one_pass[sum(calls)], dtype) == expected
    assert checksums_from_counts(data, one_pass[sum(calls) - 1], dtype) == fewer


def test_bitwise_verdict_fails_by_one_ulp_and_on_nan():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((30, 4))
    items = np.array([3, 8, 11, 20])
    assert compare_columns(ref.copy(), ref, "bitwise", 0.0, items).passed
    off = ref.copy()
    off[5, 2] = np.nextafter(off[5, 2], np.inf)
    off[7, 3] = np.nextafter(off[7, 3], -np.inf)
    verdict = compare_columns(off, ref, "replay", 0.0, items)
    assert not verdict.passed and verdict.failing_columns == 2
    assert verdict.first_failing_item == 11 and 0 < verdict.max_abs_diff < 1e-15
    assert "item 11" in verdict.detail
    nan = ref.copy()
    nan[0, 0] = np.nan
    verdict = compare_columns(nan, ref, "bitwise", 0.0, items)
    assert not verdict.passed and verdict.first_failing_item == 3
    assert verdict.max_abs_diff == np.inf
    assert not compare_columns(ref[:, :3], ref, "bitwise", 0.0, items).passed


def test_close_verdict_is_relative_to_the_largest_reference_value():
    ref = np.array([[2.0, -4.0], [0.5, 1.0]])
    items = np.array([0, 1])
    within = ref + np.array([[0.0, 3.9e-4], [0.0, 0.0]])
    verdict = compare_columns(within.astype(np.float32), ref, "close", 1e-4, items)
    assert verdict.passed and verdict.scale == 4.0 and verdict.bound == pytest.approx(4e-4)
    beyond = ref + np.array([[0.0, 0.0], [4.1e-4, 0.0]])
    verdict = compare_columns(beyond, ref, "close", 1e-4, items)
    assert not verdict.passed and verdict.first_failing_item == 0
    nan = ref.copy()
    nan[1, 1] = np.nan
    assert not compare_columns(nan, ref, "close", 1.0, items).passed
    with pytest.raises(InvalidInputError):
        compare_columns(ref, ref, "floor", 0.0, items)


def test_audit_record_is_plain_json():
    ref = np.ones((3, 1))
    bad = ref.copy()
    bad[0, 0] = np.nan
    verdict = compare_columns(bad, ref, "bitwise", 0.0, [2])
    record = AuditRecord.from_verdict(verdict, np.array([2], np.int32), 10**9, 0.0, 1.5)
    text = json.dumps(record.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["passed"] is False and back["max_abs_diff"] is None and back["items"] == [2]
    assert back["steps"] == 10**9 and back["seconds"] == 1.5


def _fake_rerun(data, seed, wrong_from, row, column):
    """A tier that is the reference until step ``wrong_from``, then off in S[row, column]."""

    def rerun(n):
        ref = ColumnReference(data, [column], LR)
        ref.apply(make_rng(seed).integers(0, data.nnz, size=n))
        col = ref.columns()[:, 0]
        if n >= wrong_from:
            col[row] += 1e-3
        return col

    return rerun


def test_bisection_finds_the_step_the_fake_went_wrong(data):
    seed, calls = 8, [500, 2000, 1500]
    draws = make_rng(seed).integers(0, data.nnz, size=sum(calls))
    item = int(np.argmax(np.bincount(data.indices[draws], minlength=data.n_items)))
    positions = np.flatnonzero(data.indices[draws] == item) + 1
    wrong = int(positions[len(positions) * 2 // 3])
    rerun = _fake_rerun(data, seed, wrong, 17, item)
    found = first_differing_step(data, seed, LR, None, item, calls, rerun)
    assert found["found"] and found["step"] == wrong and found["row"] == 17
    k = int(draws[wrong - 1])
    assert (found["user"], found["interaction"]) == (int(data.rows[k]), k)
    assert found["call"] == int(np.searchsorted(np.cumsum(calls), wrong))
    assert found["value"] - found["reference"] == pytest.approx(1e-3)
    assert found["probes"] <= 12 and f"step {wrong:,}" in found["sentence"]
    short = first_differing_step(data, seed, LR, None, item, calls, rerun, max_probes=2)
    lo, hi = short["interval"]
    assert not short["found"] and lo < wrong <= hi and short["probes"] <= 3


def test_bisection_over_a_column_no_draw_targeted(data):
    seed, calls = 8, [300, 300]
    draws = make_rng(seed).integers(0, data.nnz, size=sum(calls))
    untouched = int(np.setdiff1d(np.arange(data.n_items), data.indices[draws])[0])

    def rerun(n):  # a stray write into the untargeted column from step 411 on
        col = np.zeros(data.n_items)
        if n >= 411:
            col[3] = 0.25
        return col

    found = first_differing_step(data, seed, LR, None, untouched, calls, rerun)
    assert found["found"] and found["step"] == 411 and found["call"] == 1
    assert found["interaction"] is None and found["row"] == 3


def test_column_reference_refuses_bad_items_and_draws(data):
    for items in ([], [3, 3], [5, 2], [data.n_items], [-1], [[1, 2]], [0.5]):
        with pytest.raises(InvalidInputError):
            ColumnReference(data, items, LR)
    ref = ColumnReference(data, [1, 2], LR)
    for draws in ([data.nnz], [-1], [[0]], [0.0]):
        with pytest.raises(InvalidInputError):
            ref.apply(np.asarray(draws))
    assert ref.apply(np.zeros(0, dtype=np.int64)) == 0 and not ref.W.any()


def test_a_fast_tiers_columns_pass_and_one_changed_element_fails(data):
    """The pieces together: a bitwise tier's audited columns after its calls."""
    calls = [data.nnz, 3000, 1]
    tier = create("cython-bucketed", data, seed=12, learning_rate=LR)
    for n in calls:
        tier.run(n)
    items = audit_items(data, seed=12)
    ref = reference_columns(data, 12, LR, None, items, [sum(calls)])[sum(calls)]
    cols = tier.similarity()[:, items]
    verdict = compare_columns(cols, ref, "bitwise", 0.0, items)
    assert verdict.passed and verdict.scale > 0, verdict.detail
    col = int(np.argmax(np.abs(cols).max(axis=0)))  # the column with the largest value
    cols[int(np.argmax(np.abs(cols[:, col]))), col] *= 1 + 1e-15
    verdict = compare_columns(cols, ref, "bitwise", 0.0, items)
    assert not verdict.passed and verdict.first_failing_item == items[col]


def test_bisection_says_so_when_the_difference_does_not_reproduce(data):
    seed, calls = 8, [400]
    draws = make_rng(seed).integers(0, data.nnz, size=sum(calls))
    item = int(data.indices[draws[0]])
    honest = _fake_rerun(data, seed, sum(calls) + 1, 0, item)  # never wrong
    found = first_differing_step(data, seed, LR, None, item, calls, honest)
    assert not found["found"] and found["row"] is None
    assert "did not reproduce" in found["sentence"]


def test_the_replay_refuses_what_would_hang_or_lie(data):
    items = [0, 1]
    for kwargs in ({"block": 0}, {"stream": "mt19937"}):
        with pytest.raises(InvalidInputError):
            reference_columns(data, 0, LR, None, items, [10], **kwargs)
    with pytest.raises(InvalidInputError):
        reference_columns(data, -1, LR, None, items, [10])
    with pytest.raises(InvalidInputError):
        reference_columns(data, 0, LR, None, items, [-5])
