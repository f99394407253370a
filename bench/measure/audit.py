"""The audit: the S a tier ended with on the timed data, checked against the reference.

The cross-check runs on a small dataset with small calls; the audit covers the work that
was timed. It rests on one rule: **columns are independent problems**. A step on
interaction (u, i, r) reads and writes column i of S only, so column i after n steps is a
function of the ordered subsequence of the first n draws that targeted item i, and of
nothing else. The audit therefore

1. picks about 40 items (:func:`audit_items`): a sample drawn from the run's seed, plus
   the edge cases where a bug shows (items 0 and n-1, the most and the least trained
   items that had steps, items of the longest profiles);
2. regenerates the stream itself (:func:`reference_columns`; the samples a user's loop
   received are writable and not trusted), in blocks, so memory stays bounded however many
   steps were timed, and replays only the draws that targeted those items through the
   compiled column-restricted reference (slimbench.impls.audit_reference, bitwise
   python-naive), with a snapshot at every audited tier's step count, in one pass;
3. compares the tier's columns with the reference's (:func:`compare_columns`): to the
   bit for the classes "bitwise" and "replay", within ``tolerance * scale`` for "close",
   where ``scale`` is the largest |S_ref| over the audited columns;
4. for a failing column, bisects over that column's own steps by re-running the tier with
   the same calls truncated (:func:`first_differing_step`), at a bounded number of probes.

cython-rand draws libc ``rand() % nnz`` after ``srand(seed)``, a generator global to its
process: its stream (``stream="libc-rand"``) is drawn in a fresh process that does nothing
else, so no other code's ``rand()`` can shift it. The floors train nothing; their
checksums are recomputed over the timed stream (:func:`floor_checksums`; for several
floors at once, :func:`user_draw_counts` in one pass and :func:`checksums_from_counts`).

What is audited is S, the model, on the audited columns. What is not: the loss a tier
reports (it is a sum over every column; the cross-check compares it on the check dataset),
the columns that were not sampled, and a run that diverged (python-naive stops a call
where the call's summed squared error becomes non-finite, which a few columns cannot
know; such a run has no speed figure anyway).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..formatting import plural
from ..impls import InvalidInputError, TrainingData, make_rng, prepare_urm
from ..impls.audit_reference import ColumnReference, count_user_draws
from ..impls.base import MAX_SEED, MAX_STEPS, check_count
from ..impls.slim import SlimOptions
from .check import LOSS_RTOL

#: the streams the audit can regenerate: the contract's, and cython-rand's libc rand()
STREAMS: tuple[str, ...] = ("pcg64", "libc-rand")
#: draws held at once while replaying (32 MB of int64): the stream does not depend on it
STREAM_BLOCK = 1 << 22
#: how many items an audit covers by default
AUDIT_ITEMS = 40
#: mixed into the run's seed so the sample of items is not the stream's own numbers
_ITEM_SALT = 0x5A11D17
#: how many of the longest profiles give their items to the audit
LONGEST_PROFILES = 3
#: the most tier re-runs a bisection may make
MAX_PROBES = 12


# --- which columns --------------------------------------------------------------------


def audit_items(data: object, seed: int, n: int = AUDIT_ITEMS) -> np.ndarray:
    """About ``n`` items to audit: edge cases, then a sample drawn from ``seed``.

    Edge cases first: items 0 and n_items - 1; the most and the least popular items that
    have interactions (how often an item is the target of a draw is proportional to its
    popularity); and, for each of the :data:`LONGEST_PROFILES` longest profiles, its
    least and its most popular item (a step's cost and a size-dependent bug both grow with
    its profile; the least popular item is the column such a user's steps dominate). The
    rest is a uniform sample of the other items from ``numpy.random.default_rng([seed,
    salt])``. Returns sorted unique int32 ids; deterministic for (data, seed, n).
    """
    data = prepare_urm(data)
    seed = check_count(seed, "seed")
    n = check_count(n, "n")
    n_items = data.n_items
    popularity = np.bincount(data.indices, minlength=n_items)
    trained = np.flatnonzero(popularity)
    edges = [0, n_items - 1]
    if trained.size:
        edges.append(int(trained[np.argmax(popularity[trained])]))
        edges.append(int(trained[np.argmin(popularity[trained])]))
    lengths = np.diff(data.indptr)
    # stable: ties go to the lowest user id, so the choice is deterministic
    for user in np.argsort(-lengths, kind="stable")[:LONGEST_PROFILES]:
        profile = data.indices[data.indptr[user] : data.indptr[user + 1]]
        if profile.size:
            counts = popularity[profile]
            edges.append(int(profile[np.argmin(counts)]))
            edges.append(int(profile[np.argmax(counts)]))
    chosen = np.unique(np.asarray(edges, dtype=np.int64))
    wanted = min(max(n, chosen.size), n_items)
    rest = np.setdiff1d(np.arange(n_items), chosen)
    rng = np.random.default_rng([seed, _ITEM_SALT])
    sample = rng.choice(rest, size=wanted - chosen.size, replace=False) if rest.size else rest
    return np.union1d(chosen, sample).astype(np.int32)


# --- the stream -----------------------------------------------------------------------


class _PcgStream:
    """The contract's stream: ``make_rng(seed).integers(0, nnz)``, any block size."""

    def __init__(self, seed: int, nnz: int) -> None:
        self._rng, self._nnz = make_rng(seed), nnz

    def draw(self, count: int) -> np.ndarray:
        return self._rng.integers(0, self._nnz, size=count)

    def close(self) -> None:
        pass


def _libc_rand_server(conn: object, seed: int, nnz: int) -> None:
    """In a fresh process: ``srand(seed)``, then answer each count with that many draws."""
    from ..impls._compiled import require_compiled

    kernel = require_compiled("_cython_rand")
    kernel.seed_rand(seed)
    try:
        while True:
            count = conn.recv()
            if not count:
                return
            conn.send_bytes(kernel.draw_indices(nnz, count).astype(np.int64, copy=False))
    except (EOFError, OSError):  # the parent went away: nothing left to draw for
        return
    finally:
        conn.close()


class _LibcRandStream:
    """cython-rand's stream, ``rand() % nnz`` after ``srand(seed)``, from its own process.

    libc's generator state is global to a process: drawn here, any ``rand()`` call by the
    parent, a tier or a library would shift it. A spawned process runs nothing but the
    draws; it ends when closed or when the parent's end of the pipe goes away.
    """

    def __init__(self, seed: int, nnz: int) -> None:
        from ..impls.cython_rand import libc_rand_max

        if libc_rand_max() + 1 < nnz:
            raise InvalidInputError(
                f"libc rand() % nnz reaches only {libc_rand_max() + 1:,} of {nnz:,} "
                "interactions here: cython-rand refuses such data, there is no stream to audit."
            )
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        # not daemonic: the audit may itself run in a (non-daemonic) worker process
        self._process = ctx.Process(
            target=_libc_rand_server, args=(child, seed, nnz), name="slimbench-libc-rand"
        )
        self._process.start()
        child.close()

    def draw(self, count: int) -> np.ndarray:
        try:
            self._conn.send(int(count))
            return np.frombuffer(self._conn.recv_bytes(), dtype=np.int64)
        except (EOFError, OSError) as exc:
            raise RuntimeError(
                f"the libc rand() stream's process ended (exit code {self._process.exitcode})"
            ) from exc

    def close(self) -> None:
        try:
            self._conn.send(0)
        except OSError:
            pass
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


@contextmanager
def open_stream(stream: str, seed: int, nnz: int) -> Iterator[_PcgStream | _LibcRandStream]:
    """The stream a tier of ``stream`` drew from: ``.draw(count)`` continues it."""
    if stream not in STREAMS:
        raise InvalidInputError(f"unknown stream {stream!r}; one of {', '.join(STREAMS)}.")
    seed = check_count(seed, "seed", MAX_SEED)
    source = _PcgStream(seed, nnz) if stream == "pcg64" else _LibcRandStream(seed, nnz)
    try:
        yield source
    finally:
        source.close()


def stream_blocks(
    stream: str, seed: int, nnz: int, total: int, block: int = STREAM_BLOCK
) -> Iterator[np.ndarray]:
    """The first ``total`` draws of ``stream``, in blocks of at most ``block``."""
    block = _check_block(block)
    with open_stream(stream, seed, nnz) as source:
        done = 0
        while done < total:
            draws = source.draw(min(block, total - done))
            done += draws.shape[0]
            yield draws


# --- the reference's columns ----------------------------------------------------------


def _check_block(block: object) -> int:
    """A block size of at least one draw (0 would never advance the stream)."""
    block = check_count(block, "block")
    if block < 1:
        raise InvalidInputError("block must be at least 1 draw.")
    return block


def _as_slim(slim: SlimOptions | dict | None) -> SlimOptions:
    if slim is None:
        return SlimOptions()
    return slim if isinstance(slim, SlimOptions) else SlimOptions(**slim)


def reference_columns(
    data: object,
    seed: int,
    learning_rate: float,
    slim: SlimOptions | dict | None,
    items: object,
    step_counts: Iterable[int],
    stream: str = "pcg64",
    *,
    block: int = STREAM_BLOCK,
    threads: int = 1,
) -> dict[int, np.ndarray]:
    """The reference's ``S[:, items]`` after each of ``step_counts`` total steps.

    One pass over the stream up to the largest count, ``block`` draws at a time; only the
    draws whose target item is audited are applied (ColumnReference), their columns spread
    over ``threads`` (the result does not depend on it: each column's steps stay in stream
    order on one thread; more than 1 only pays where no tier is being timed). Returns
    {count: float64 array of shape (n_items, len(items))}, one snapshot per distinct count.
    """
    data = prepare_urm(data)
    reference = ColumnReference(data, items, learning_rate, _as_slim(slim), threads)
    block = _check_block(block)
    counts = sorted({check_count(c, "a step count", MAX_STEPS) for c in step_counts})
    snapshots: dict[int, np.ndarray] = {}
    done = 0
    with open_stream(stream, seed, data.nnz) as source:
        for target in counts:
            while done < target:
                draws = source.draw(min(block, target - done))
                reference.apply_trusted(draws)  # in [0, nnz) by construction
                done += draws.shape[0]
            snapshots[target] = reference.columns()
    return snapshots


# --- the floors -----------------------------------------------------------------------


@dataclass(frozen=True)
class FloorChecksums:
    """What a floor must have read over a stream: sums of ratings and item ids, entries."""

    ratings: float
    item_ids: int
    entries: int


def user_draw_counts(
    data: object,
    seed: int,
    step_counts: Iterable[int],
    *,
    block: int = STREAM_BLOCK,
) -> dict[int, np.ndarray]:
    """How often each user was drawn in the first n steps of the contract's stream, for
    each n of ``step_counts``: {n: int64 array of n_users}, in one pass. The floors share
    a seed, so one pass serves all of them (:func:`checksums_from_counts`)."""
    data = prepare_urm(data)
    counts = sorted({check_count(c, "a step count", MAX_STEPS) for c in step_counts})
    block = _check_block(block)
    per_user = np.zeros(data.n_users, dtype=np.int64)
    snapshots: dict[int, np.ndarray] = {}
    done = 0
    with open_stream("pcg64", seed, data.nnz) as source:
        for target in counts:
            while done < target:
                draws = source.draw(min(block, target - done))
                count_user_draws(data, draws, per_user)  # in [0, nnz) by construction
                done += draws.shape[0]
            snapshots[target] = per_user.copy()
    return snapshots


def checksums_from_counts(
    data: object, per_user: np.ndarray, dtype: type = np.float64
) -> FloorChecksums:
    """The checksums of a floor whose draws hit user u ``per_user[u]`` times.

    The floor reads each drawn step's profile once, sums its ratings (as ``dtype``, the
    floor's own: a floor class's ``dtype``) and its item ids, and counts its entries: the
    per-user sums weighted by the draw counts. Exact for the integer sums; the rating sum
    is summed in another order than the floor's, so compare it relatively.
    """
    data = prepare_urm(data)
    values = data.ratings.astype(dtype).astype(np.float64)
    rating_sums = np.bincount(data.rows, weights=values, minlength=data.n_users)
    id_sums = np.zeros(data.n_users, dtype=np.int64)
    np.add.at(id_sums, data.rows, data.indices.astype(np.int64))  # exact, unlike float weights
    lengths = np.diff(data.indptr).astype(np.int64)
    return FloorChecksums(
        ratings=float(per_user @ rating_sums),
        item_ids=int(per_user @ id_sums),
        entries=int(per_user @ lengths),
    )


def floor_checksums(
    data: object,
    seed: int,
    total_steps: int,
    dtype: type = np.float64,
    *,
    block: int = STREAM_BLOCK,
) -> FloorChecksums:
    """The checksums a floor reports after ``total_steps`` steps of the contract's stream,
    recomputed from the stream in blocks (see :func:`checksums_from_counts`)."""
    total_steps = check_count(total_steps, "total_steps", MAX_STEPS)
    counts = user_draw_counts(data, seed, [total_steps], block=block)[total_steps]
    return checksums_from_counts(data, counts, dtype)


# --- the verdict ----------------------------------------------------------------------


@dataclass
class AuditVerdict:
    """How a tier's audited columns compare with the reference's."""

    passed: bool
    max_abs_diff: float  # inf where a compared value is NaN or infinite on one side only
    scale: float  # the largest |S_ref| over the audited columns
    bound: float  # what max_abs_diff had to stay within (0.0 for the bitwise classes)
    first_failing_item: int | None
    failing_columns: int
    detail: str


def _column_failures(
    tier: np.ndarray, ref: np.ndarray, bitwise: bool, bound: float
) -> tuple[np.ndarray, float]:
    """(a bool per column: fails, the largest |difference| with NaN counted as inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(tier - ref)
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN on either side is a failure
    if bitwise:
        # array_equal's notion: same values, NaN never equal, +0.0 == -0.0
        failing = np.any(~(tier == ref), axis=0)
    else:
        failing = np.any(~(diff <= bound), axis=0)
    return failing, float(diff.max()) if diff.size else 0.0


def compare_columns(
    tier_cols: object,
    ref_cols: object,
    exactness: str,
    tolerance: float,
    items: object,
) -> AuditVerdict:
    """The audit's verdict on ``tier_cols`` = the tier's ``S[:, items]``.

    "bitwise" and "replay": every audited element equal to the reference's (np.array_equal
    per column; NaN fails). "close": ``max|S - S_ref| <= tolerance * scale`` with ``scale``
    the largest |S_ref| over the audited columns. Other classes are not audited this way.
    """
    if exactness not in ("bitwise", "replay", "close"):
        raise InvalidInputError(
            f"compare_columns audits the classes bitwise, replay and close, not {exactness!r}."
        )
    ref = np.asarray(ref_cols, dtype=np.float64)
    items = np.asarray(items)
    tier = np.asarray(tier_cols)
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    bitwise = exactness != "close"
    bound = 0.0 if bitwise else float(tolerance) * scale
    if tier.shape != ref.shape:
        return AuditVerdict(
            False, math.inf, scale, bound, None, items.size,
            f"the tier's audited columns have shape {tier.shape}, expected {ref.shape}",
        )
    failing, max_abs = _column_failures(tier.astype(np.float64), ref, bitwise, bound)
    n_failing = int(failing.sum())
    first = int(items[np.argmax(failing)]) if n_failing else None
    covered = plural(items.size, "column")
    if not n_failing:
        how = "bitwise equal" if bitwise else f"within {tolerance:g} x {scale:.3g}"
        detail = f"{covered} {how}; max|dS| = {max_abs:.3g}"
    else:
        col = int(np.argmax(failing))
        if bitwise:
            count = int(np.count_nonzero(~(tier[:, col] == ref[:, col])))
            verb = "differs" if count == 1 else "differ"
            what = f"{plural(count, 'element')} of column {first} {verb}"
        else:
            what = f"max|dS| = {max_abs:.3g} above {tolerance:g} x max|S_ref| = {bound:.3g}"
        detail = f"{n_failing} of {covered} fail, the first item {first}: {what}"
    return AuditVerdict(n_failing == 0, max_abs, scale, bound, first, n_failing, detail)


def compare_floor(
    reported: FloorChecksums, expected: FloorChecksums, rtol: float = LOSS_RTOL
) -> AuditVerdict:
    """A floor's verdict: the entries and item-id sums equal, the rating sum within ``rtol``.

    Its max_abs_diff is the rating sums' difference, its scale the expected rating sum.
    """
    diff = abs(reported.ratings - expected.ratings)
    scale = abs(expected.ratings)
    rel = diff / max(scale, 1e-300)
    passed = (
        reported.entries == expected.entries
        and reported.item_ids == expected.item_ids
        and rel <= rtol
    )
    detail = f"read {reported.entries:,} of {expected.entries:,} profile entries"
    if not passed:
        detail += (
            f"; item-id sum {reported.item_ids:,} vs {expected.item_ids:,}, rating sum off "
            f"by {rel:.3g}"
        )
    return AuditVerdict(passed, diff, scale, rtol * scale, None, 0 if passed else 1, detail)


@dataclass
class AuditRecord:
    """One tier's audit, as results.json keeps it."""

    items: list[int]
    steps: int  # the steps covered: the total the parent asked the tier for
    passed: bool
    max_abs_diff: float | None
    scale: float | None
    tolerance: float
    seconds: float
    detail: str
    stream: str = "pcg64"
    first_difference: dict | None = field(default=None)

    @classmethod
    def from_verdict(
        cls, verdict: AuditVerdict, items: object, steps: int, tolerance: float,
        seconds: float, stream: str = "pcg64",
    ) -> AuditRecord:
        return cls(
            items=[int(i) for i in np.asarray(items)], steps=int(steps), passed=verdict.passed,
            max_abs_diff=verdict.max_abs_diff, scale=verdict.scale, tolerance=float(tolerance),
            seconds=float(seconds), detail=verdict.detail, stream=stream,
        )

    def to_dict(self) -> dict:
        """Plain JSON: a non-finite difference (NaN, inf) becomes null, the detail says it."""

        def finite(x: float | None) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        return {
            "items": list(self.items),
            "n_items": len(self.items),
            "steps": int(self.steps),
            "stream": self.stream,
            "passed": bool(self.passed),
            "max_abs_diff": finite(self.max_abs_diff),
            "scale": finite(self.scale),
            "tolerance": float(self.tolerance),
            "seconds": float(self.seconds),
            "detail": self.detail,
            "first_difference": self.first_difference,
        }


# --- the first differing step ---------------------------------------------------------


def _targeted_steps(
    data: TrainingData, seed: int, item: int, total: int, stream: str
) -> tuple[np.ndarray, np.ndarray]:
    """(1-based stream positions, interaction indices) of the draws up to ``total`` on ``item``."""
    positions, interactions, offset = [], [], 0
    for draws in stream_blocks(stream, seed, data.nnz, total):
        hits = np.flatnonzero(data.indices[draws] == item)
        positions.append(hits + offset + 1)
        interactions.append(draws[hits])
        offset += draws.shape[0]
    if not positions:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(positions).astype(np.int64), np.concatenate(interactions)


def first_differing_step(
    data: object,
    seed: int,
    learning_rate: float,
    slim: SlimOptions | dict | None,
    item: int,
    calls: Sequence[int],
    rerun: Callable[[int], np.ndarray],
    *,
    stream: str = "pcg64",
    bound: float = 0.0,
    max_probes: int = MAX_PROBES,
) -> dict:
    """Where the tier's column ``item`` first leaves the reference's, by bisection.

    ``calls`` are the step counts of the tier's calls, in order (the parent's record);
    ``rerun(n)`` re-runs a fresh tier with the same calls truncated to ``n`` steps in all
    and returns its column ``item`` (n_items values). The bisection runs over the
    column's own steps, the stream positions where ``item`` was drawn (up to the total),
    comparing ``rerun(position)`` with the reference's column after the same steps. The
    column is known to differ after the total. A column differs where an element is
    further than ``bound`` from the reference's (0.0: bitwise; a close tier passes its
    ``tolerance * scale``) or is NaN. At most ``max_probes`` reruns bisect (then the step
    is narrowed to an interval, and ``found`` is False), plus one to read the column at
    the step found if no probe landed there.

    Returns a plain dict: found, step (1-based; the earliest step known to differ),
    interval [after, at] (the first difference lies in steps after+1 .. at; found is also
    False where the re-run at ``at`` matches after all: row is then None), call (0-based
    index of the call that holds the step), interaction, user, rating, row (j of the first
    differing S[j, item]), value, reference, differing_elements, probes, sentence.
    """
    data = prepare_urm(data)
    slim = _as_slim(slim)
    total = sum(check_count(c, "a call's step count", MAX_STEPS) for c in calls)
    item = check_count(item, "item", data.n_items - 1)
    max_probes = max(1, check_count(max_probes, "max_probes"))
    positions, interactions = _targeted_steps(data, seed, item, total, stream)
    if positions.size == 0:  # never drawn: steps on other items wrote into it
        return _untargeted(data, item, total, rerun, max_probes, calls, bound)

    def reference_after(m: int) -> np.ndarray:
        """The reference's column after the column's first m steps (from zeros)."""
        ref = ColumnReference(data, [item], learning_rate, slim)
        ref.apply(interactions[:m])
        return ref.columns()[:, 0]

    probes, low, high = 0, 0, positions.size  # column equal after low steps, differs after high
    high_col = None
    while high - low > 1 and probes < max_probes:
        mid = (low + high) // 2
        col = np.asarray(rerun(int(positions[mid - 1])), dtype=np.float64)
        probes += 1
        if not _differing(col, reference_after(mid), bound).size:
            low = mid
        else:
            high, high_col = mid, col
    if high_col is None:  # never probed at ``high``: read the column there once
        high_col = np.asarray(rerun(int(positions[high - 1])), dtype=np.float64)
        probes += 1
    ref_col = reference_after(high)
    found = high - low == 1
    step = int(positions[high - 1])
    after = int(positions[low - 1]) if low else 0
    k = int(interactions[high - 1])
    differ = _differing(high_col, ref_col, bound)
    row = int(differ[0]) if differ.size else None
    result = {
        "found": found and differ.size > 0,
        "item": item,
        "step": step,
        "interval": [after, step],
        "call": _call_of(step, calls),
        "interaction": k,
        "user": int(data.rows[k]),
        "rating": float(data.ratings[k]),
        "row": row,
        "value": float(high_col[row]) if row is not None else None,
        "reference": float(ref_col[row]) if row is not None else None,
        "differing_elements": int(differ.size),
        "probes": probes,
    }
    result["sentence"] = _sentence(result)
    return result


def _untargeted(
    data: TrainingData, item: int, total: int, rerun: Callable[[int], np.ndarray],
    max_probes: int, calls: Sequence[int], bound: float,
) -> dict:
    """Bisect over every step for a column no draw targeted (its reference stays zero)."""
    zeros = np.zeros(data.n_items)
    probes, low, high, high_col = 0, 0, total, None
    while high - low > 1 and probes < max_probes:
        mid = (low + high) // 2
        col = np.asarray(rerun(mid), dtype=np.float64)
        probes += 1
        if not _differing(col, zeros, bound).size:
            low = mid
        else:
            high, high_col = mid, col
    if high_col is None:
        high_col = np.asarray(rerun(high), dtype=np.float64)
        probes += 1
    differ = _differing(high_col, zeros, bound)
    row = int(differ[0]) if differ.size else None
    result = {
        "found": high - low == 1 and differ.size > 0, "item": item, "step": high,
        "interval": [low, high],
        "call": _call_of(high, calls), "interaction": None, "user": None, "rating": None,
        "row": row, "value": float(high_col[row]) if row is not None else None,
        "reference": 0.0 if row is not None else None,
        "differing_elements": int(differ.size), "probes": probes,
    }
    result["sentence"] = _sentence(result)
    return result


def _differing(col: np.ndarray, ref: np.ndarray, bound: float) -> np.ndarray:
    """Rows j where ``col[j]`` is further than ``bound`` from ``ref[j]``, or NaN."""
    if col.shape != ref.shape:
        return np.arange(max(col.size, ref.size))  # a wrong shape differs everywhere
    with np.errstate(invalid="ignore", over="ignore"):
        return np.flatnonzero(~(np.abs(col - ref) <= bound))


def _call_of(step: int, calls: Sequence[int]) -> int | None:
    """0-based index of the call that made 1-based ``step``."""
    bounds = np.cumsum(np.asarray(list(calls), dtype=np.int64))
    index = int(np.searchsorted(bounds, step, side="left"))
    return index if index < bounds.size else None


def _sentence(r: dict) -> str:
    where = (
        f"at step {r['step']:,}" if r["found"]
        else f"between steps {r['interval'][0] + 1:,} and {r['interval'][1]:,} "
        f"(narrowed in {r['probes']} re-runs)"
    )
    if r["interaction"] is None:
        head = f"column {r['item']}, never drawn, first differs {where}"
    else:
        head = (
            f"column {r['item']} first differs {where} (interaction {r['interaction']:,}: "
            f"user {r['user']}, item {r['item']}, rating {r['rating']:g})"
        )
    if r["row"] is None:  # the column re-run to the step where it differed did not differ
        return (
            f"column {r['item']}: a re-run to step {r['step']:,} matches the reference; the "
            "difference did not reproduce (does the tier depend on more than its calls?)"
        )
    n = r["differing_elements"]
    return (
        f"{head}: S[{r['row']}, {r['item']}] = {r['value']!r} where the reference has "
        f"{r['reference']!r}; {plural(n, 'element')} of the column "
        f"{'differs' if n == 1 else 'differ'}"
    )
