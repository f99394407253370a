"""Where a tier first departs from the reference: the step, its interaction, the element.

Used by the cross-check when a tier on the contract's stream fails. The reference is
replayed from the start once, step by step, keeping after each step the column it wrote
(a step writes column i of S only) and its squared error; from that log S after any number
of steps is rebuilt for free. The failing tier is then run afresh for n steps in one call,
with n bisected over [1, steps], until the first n whose S differs from the reference's is
found. The message names the step, its (user, item, rating), the first element S[j, i] that
differs with both values, and where item j sits in the user's profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..formatting import plural
from ..impls import SlimBenchError, TrainingData, TrainingDiverged, create, make_rng
from .reference_key import REFERENCE, reference_key

#: a first difference this small relative to the reference's value is rounding, not a
#: wrong step (float32 arithmetic, sums in another order); the "close" class's tolerance
PRECISION_ONLY = 1e-4


@dataclass
class FirstDifference:
    """The first step at which a tier's S (or loss) leaves the reference's."""

    step: int  # 1-based
    interaction: int
    user: int
    item: int
    rating: float
    kind: str  # "S" or "loss"
    row: int | None = None  # j of the first differing S[j, column]
    column: int | None = None  # the step's item, unless the tier wrote into another column
    value: float | None = None
    reference: float | None = None
    profile_position: int | None = None  # 1-based position of j in the user's profile
    profile_length: int = 0
    differing_elements: int = 0
    relative_difference: float | None = None  # |value - reference| / |reference|
    hint: str | None = None  # what the difference suggests (rounding, a transposed write)

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        """The diagnosis in one sentence."""
        head = (
            f"first differs at step {self.step:,} (interaction {self.interaction:,}: user "
            f"{self.user}, item {self.item}, rating {self.rating:g})"
        )
        if self.kind == "loss":
            return (
                f"{head}: S is equal up to there but the returned loss is {self.value!r} where "
                f"the reference's is {self.reference!r}"
            )
        where = self._where()
        more = (
            f"; {self.differing_elements:,} elements of S differ at that step"
            if self.differing_elements > 1
            else ""
        )
        hint = f". {self.hint}" if self.hint else ""
        return (
            f"{head}: S[{self.row}, {self.column}] = {self.value!r} where the reference has "
            f"{self.reference!r}; item {self.row} {where}{more}{hint}"
        )

    def _where(self) -> str:
        n, p = self.profile_length, self.profile_position
        if p is None:
            profile = f"user {self.user}'s profile of {plural(n, 'item')}"
            return f"is not in {profile} (written outside it)"
        if n == 1:
            return f"is the only entry of user {self.user}'s profile"
        if p == n:
            return f"is the last entry (position {p} of {n}) of user {self.user}'s profile"
        if p == 1:
            return f"is the first entry (position 1 of {n}) of user {self.user}'s profile"
        return f"is at position {p} of {n} of user {self.user}'s profile"


class _ReferenceLog:
    """The reference replayed step by step: the column each step wrote, and its error."""

    def __init__(self, data: TrainingData, seed: int, lr: float, steps: int, options: dict):
        ref = create(REFERENCE, data, seed=seed, learning_rate=lr, **options)
        self.columns: list[np.ndarray] = []
        self.squared_errors: list[float] = []
        self.draws = make_rng(seed).integers(0, data.nnz, size=steps)
        items = data.indices[self.draws]
        for k in range(steps):
            self.squared_errors.append(ref.run(1).loss)
            self.columns.append(ref.similarity()[:, items[k]].copy())
        self.items = items
        self.n_items = data.n_items

    def similarity_after(self, n: int) -> np.ndarray:
        S = np.zeros((self.n_items, self.n_items))
        for k in range(n):
            S[:, self.items[k]] = self.columns[k]
        return S

    def loss_after(self, n: int) -> float:
        loss = 0.0
        for k in range(n):  # summed in stream order, as one run call of n steps would
            loss += self.squared_errors[k]
        return loss


#: the reference's step logs made in this process, by everything they depend on
_LOGS: dict[tuple, _ReferenceLog] = {}
_LOGS_KEPT = 2
_LOG_KEPT_BYTES = 64 << 20  # a longer log (a diagnosis on the user's own data) is not kept


def _reference_log(
    data: TrainingData, seed: int, lr: float, steps: int, options: dict
) -> _ReferenceLog:
    """The reference's step log, replayed once per process for the same inputs.

    python-naive is deterministic: a second diagnosis on the same data, seed, learning rate,
    steps and options (another failing tier of the same check, or the same tier checked
    again) reads the same log. Its arrays are only read.
    """
    key = (reference_key(data, seed, 0, lr, options), steps)
    if key in _LOGS:
        return _LOGS[key]
    log = _ReferenceLog(data, seed, lr, steps, options)
    if steps * data.n_items * 8 <= _LOG_KEPT_BYTES:
        while len(_LOGS) >= _LOGS_KEPT:
            _LOGS.pop(next(iter(_LOGS)))
        _LOGS[key] = log
    return log


def bisect_least(first_bad: Callable[[int], bool], high: int) -> int:
    """The least n in [1, high] with ``first_bad(n)``; ``first_bad(high)`` is known True."""
    low = 0  # first_bad(0) is False: no step, no difference
    while high - low > 1:
        mid = (low + high) // 2
        if first_bad(mid):
            high = mid
        else:
            low = mid
    return high


def first_difference(
    name: str,
    data: TrainingData,
    *,
    seed: int,
    learning_rate: float,
    steps: int,
    tolerance: float = 0.0,
    options: dict | None = None,
    reference_options: dict | None = None,
    make_tier: Callable[[dict], object] | None = None,
) -> FirstDifference | str:
    """Pinpoint where tier ``name`` first departs from the reference within ``steps``.

    Returns a :class:`FirstDifference`, or a sentence where no single step can be named
    (the difference shows only across several calls, or the tier fails on its own).
    ``make_tier(options)`` prepares a fresh tier for each probe (the check passes one that
    starts a new worker process); by default the tier is created in this process.
    """
    if make_tier is None:
        def make_tier(opts: dict) -> object:
            return create(name, data, **opts)

    ref = _reference_log(data, seed, learning_rate, steps, reference_options or {})
    probes: dict[int, tuple[np.ndarray, float]] = {}

    def probe(n: int) -> tuple[np.ndarray, float]:
        if n not in probes:
            tier = make_tier({"seed": seed, "learning_rate": learning_rate, **(options or {})})
            try:
                loss = tier.run(n).loss
                probes[n] = (np.array(tier.similarity(), dtype=np.float64, copy=True), loss)
            finally:
                tier.close()
        return probes[n]

    def s_differs(n: int) -> bool:
        S, _ = probe(n)
        S_ref = ref.similarity_after(n)
        if tolerance == 0.0:
            return not np.array_equal(S, S_ref)
        scale = float(np.max(np.abs(S_ref))) if S_ref.size else 0.0
        return bool(np.max(np.abs(S - S_ref)) > tolerance * scale)

    def loss_differs(n: int) -> bool:
        _, loss = probe(n)
        expected = ref.loss_after(n)
        return not abs(loss - expected) <= max(1e-9, tolerance) * max(abs(expected), 1e-300)

    try:
        if s_differs(steps):
            kind, n = "S", bisect_least(s_differs, steps)
        elif loss_differs(steps):
            kind, n = "loss", bisect_least(loss_differs, steps)
        else:
            return (
                f"run as one call of {steps:,} steps it matches the reference: the difference "
                "shows only when the steps are split over several calls (state kept between "
                "calls?)"
            )
    except TrainingDiverged as exc:
        return f"while locating the difference: {exc}"
    except SlimBenchError as exc:
        return f"while locating the difference: {exc}"
    return _describe(data, ref, probe(n), n, kind)


def _describe(
    data: TrainingData, ref: _ReferenceLog, probed: tuple[np.ndarray, float], n: int, kind: str
) -> FirstDifference:
    k = int(ref.draws[n - 1])
    user, item = int(data.rows[k]), int(data.indices[k])
    start, end = int(data.indptr[user]), int(data.indptr[user + 1])
    profile = data.indices[start:end]
    diff = FirstDifference(
        step=n,
        interaction=k,
        user=user,
        item=item,
        rating=float(data.ratings[k]),
        kind=kind,
        profile_length=end - start,
    )
    S, loss = probed
    if kind == "loss":
        diff.value, diff.reference = float(loss), ref.loss_after(n)
        return diff
    S_ref = ref.similarity_after(n)
    differs = S != S_ref
    diff.differing_elements = int(np.count_nonzero(differs))
    rows_in_column = np.flatnonzero(differs[:, item])
    if rows_in_column.size:
        # the first differing element in profile order, else the lowest row
        in_profile = [p for p, j in enumerate(profile) if differs[j, item]]
        j = int(profile[in_profile[0]]) if in_profile else int(rows_in_column[0])
        column = item
    else:
        j, column = (int(v) for v in np.argwhere(differs)[0])
    diff.row, diff.column = j, column
    diff.value, diff.reference = float(S[j, column]), float(S_ref[j, column])
    positions = np.flatnonzero(profile == j)
    diff.profile_position = int(positions[0]) + 1 if positions.size else None
    if diff.reference:
        diff.relative_difference = abs(diff.value - diff.reference) / abs(diff.reference)
    diff.hint = _hint(diff, S, S_ref, differs)
    return diff


def _hint(
    diff: FirstDifference, S: np.ndarray, S_ref: np.ndarray, differs: np.ndarray
) -> str | None:
    """What the first difference suggests, where it suggests something; else None.

    A transposed write (the loop updates S[i, j] for S[j, i]) puts the reference's value at
    the mirrored element; a tiny relative difference is rounding, which the "close" class
    exists to accept.
    """
    j, i = diff.row, diff.column
    if i == diff.item and j != i and differs[i, j] and S_ref[j, i] != 0:
        if np.isclose(S[i, j], S_ref[j, i], rtol=PRECISION_ONLY, atol=0.0):
            return (
                f"S[{i}, {j}] received that write ({float(S[i, j])!r}): the loop updates S[i, j] "
                f"where the step updates S[j, i] (the indices are transposed)"
            )
    outside = np.argwhere(differs)
    outside = outside[outside[:, 1] != diff.item]
    if outside.size and i == diff.item:
        a, b = (int(v) for v in outside[0])
        return (
            f"{plural(len(outside), 'element')} outside column {diff.item} changed too (first "
            f"S[{a}, {b}]), and a step writes only its item's column"
        )
    rel = diff.relative_difference
    if rel is not None and rel <= PRECISION_ONLY:
        return (
            f"The difference is {rel:.1g} of the value: a precision-only difference "
            "(float32, or sums in another order), not a wrong step. If that is intended, "
            'EXACTNESS = "close" with a TOLERANCE (e.g. 1e-4) accepts |dS| up to '
            "TOLERANCE x max|S_ref|"
        )
    return None
