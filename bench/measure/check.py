"""The cross-check: every tier against python-naive, by its declared exactness class.

``slimbench check`` runs it on a small built-in dataset, and ``slimbench run`` runs it on
the selected tiers before timing anything: a tier that fails gets no speed figure.

- bitwise: S equal element for element (``np.array_equal``) to the reference's.
- close:   max|S - S_ref| <= tolerance * max|S_ref|.
- replay:  the tier's compiled loop fed the reference's interaction indices gives the
           reference's S bitwise (its own sampler is tested apart).
- floor:   the floors, which train nothing: the entries read must be exactly the
           entries of the drawn interactions' profiles (count and sum of item ids equal,
           sum of ratings to a relative 1e-9); there is no S to compare.
For every trainer the summed squared error of each epoch must match the reference's to a
relative 1e-9 (class "close": to the tier's tolerance, as its arithmetic is not float64).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

from ..formatting import plural
from ..impls import (
    SlimBenchError,
    TrainingData,
    TrainingDiverged,
    create,
    get_tier,
    make_rng,
    prepare_urm,
    tier_names,
)
from .reference_key import REFERENCE, reference_key
from .tier_process import DEFAULT_CALL_TIMEOUT, RemoteTier, SharedData, WorkerFailure

LOSS_RTOL = 1e-9
CHECK_LEARNING_RATE = 5e-5  # large enough that S mixes many updates, small enough to converge


def check_dataset(seed: int = 7, n_users: int = 300, n_items: int = 200) -> TrainingData:
    """A small URM built so that a tier's bug shows.

    Profiles range from one item to most of the catalogue (user 0 holds exactly one item,
    user 1 all but a few); lengths are heavy-tailed so some columns are hit again and
    again; ratings are half stars. Deterministic for a given seed.
    """
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(mean=2.2, sigma=1.0, size=n_users).astype(int), 1, n_items)
    lengths[0] = 1
    lengths[1] = n_items - 3
    popularity = rng.pareto(1.2, size=n_items) + 1.0
    popularity /= popularity.sum()
    rows, cols = [], []
    for user, length in enumerate(lengths):
        items = rng.choice(n_items, size=int(length), replace=False, p=popularity)
        rows.append(np.full(length, user))
        cols.append(items)
    rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
    ratings = rng.integers(1, 11, size=rows_a.size) / 2.0
    return prepare_urm(sp.coo_matrix((ratings, (rows_a, cols_a)), shape=(n_users, n_items)))


@dataclass
class CheckResult:
    """The verdict on one tier."""

    tier: str
    exactness: str
    verdict: str  # pass, fail, error, diverged, unavailable, crashed, exited, timed-out
    max_abs_diff: float | None = None
    loss_rel_diff: float | None = None
    detail: str = ""
    seconds: float = 0.0
    #: where a failing tier first departs from the reference (slimbench.measure.diagnose)
    first_difference: dict | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def failed(self) -> bool:
        return self.verdict not in ("pass", "unavailable")

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self, name_width: int = 22) -> str:
        """One line for the console: name, class, verdict, difference where not bitwise.

        ``name_width``: the name column's width, the longest name of the lines printed
        together (see :func:`name_width`), so that their columns line up.
        """
        diff = ""
        if self.max_abs_diff is not None and (self.max_abs_diff != 0.0 or not self.passed):
            diff = f"max|dS|={self.max_abs_diff:.3g}"
        text = f"{self.tier:<{name_width}} {self.exactness:<8} {self.verdict.upper():<11} {diff}"
        if self.detail:
            text += f"  ({self.detail})"
        return text.rstrip()


def name_width(results: Iterable[CheckResult]) -> int:
    """The name column's width for these verdicts' lines: 22, or the longest name."""
    return max([22, *(len(r.tier) for r in results)])


class WorkerPlan:
    """Starts each checked tier (and each diagnosis probe) in a fresh worker process."""

    def __init__(self, data: TrainingData, call_timeout: float) -> None:
        self.data = data
        self.call_timeout = call_timeout
        self.shared: SharedData | None = None

    def start(self, name: str, cls: type, create_options: dict, origin: dict | None = None):
        if self.shared is None:
            self.shared = SharedData(self.data)
        return RemoteTier(
            name,
            cls,
            self.shared,
            options=create_options,
            call_timeout=self.call_timeout,
            origin=origin,
        )

    def cleanup(self) -> None:
        if self.shared is not None:
            self.shared.cleanup()
            self.shared = None


@dataclass
class _Reference:
    S: np.ndarray
    epoch_losses: list[float]
    epoch_indices: list[np.ndarray]


#: the reference's results in this process, by everything they depend on (see below)
_REFERENCES: dict[tuple, _Reference] = {}
_REFERENCES_KEPT = 4
_REFERENCE_KEPT_BYTES = 32 << 20  # a larger S (a check on the user's own data) is not kept


def _reference(
    data: TrainingData, seed: int, epochs: int, lr: float, slim: dict | None = None
) -> _Reference:
    """The reference's run, computed once per process for the same inputs.

    python-naive is deterministic, so a check repeated on the same data, seed, epochs,
    learning rate and options gets the same S and losses. Its arrays are read-only; a
    few small ones are kept, and with $SLIMBENCH_REFERENCE_CACHE set also on disk for the
    next process.
    """
    key = reference_key(data, seed, epochs, lr, slim)
    if key in _REFERENCES:
        return _REFERENCES[key]
    folder = os.environ.get(REFERENCE_CACHE_VARIABLE)
    ref = _load_reference(Path(folder), key, data, epochs) if folder else None
    if ref is None:
        ref = _run_reference(data, seed, epochs, lr, slim)
        if folder and ref.S.nbytes <= _REFERENCE_KEPT_BYTES:
            _store_reference(Path(folder), key, ref)
    if ref.S.nbytes <= _REFERENCE_KEPT_BYTES:
        while len(_REFERENCES) >= _REFERENCES_KEPT:
            _REFERENCES.pop(next(iter(_REFERENCES)))
        _REFERENCES[key] = ref
    return ref


# -- the reference kept on disk, for a process that checks the same inputs again ----------

#: a folder where the reference's results are also kept on disk (unset: nowhere), so that
#: `slimbench check` run again, or each subprocess of the test suite, skips its 5-15 s
REFERENCE_CACHE_VARIABLE = "SLIMBENCH_REFERENCE_CACHE"
_REFERENCE_FORMAT = 1


@cache
def _reference_code() -> str:
    """A digest of the code the reference's results come from: every module of the tiers'
    package (python-naive, its base class, the stream, SLIM's update), this module (the
    draws) and the numpy, scipy and slimbench versions. Coarse on purpose: any edit there
    is a miss, never a stale S."""
    from ..version import __version__

    package = Path(make_rng.__code__.co_filename).parent  # impls/, where the stream is
    digest = hashlib.sha256(f"{np.__version__} {scipy.__version__} {__version__}".encode())
    for path in (*sorted(package.glob("*.py")), Path(__file__)):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _reference_file(folder: Path, key: tuple) -> tuple[Path, str]:
    """The file of ``key`` on disk and the digest it must record: the key with the
    reference's class (an object of this process) replaced by its name and code."""
    cls, *rest = key
    text = repr((_REFERENCE_FORMAT, cls.__module__, cls.__qualname__, _reference_code(), rest))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return folder / f"reference-{digest[:32]}.npz", digest


def _load_reference(folder: Path, key: tuple, data: TrainingData, epochs: int):
    """The reference kept for ``key``, or None: a missing, truncated, corrupt or foreign
    file is ignored (and replaced once the reference is computed again)."""
    path, digest = _reference_file(folder, key)
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != digest:
                return None
            S, losses = saved["S"], [float(x) for x in saved["losses"]]
            indices = [saved[f"indices{e}"] for e in range(epochs)]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if S.shape != (data.n_items, data.n_items) or S.dtype != np.float64 or len(losses) != epochs:
        return None
    for drawn in indices:
        if drawn.shape != (data.nnz,) or drawn.dtype.kind != "i":
            return None
    for array in (S, *indices):
        array.setflags(write=False)
    return _Reference(S=S, epoch_losses=losses, epoch_indices=indices)


def _store_reference(folder: Path, key: tuple, ref: _Reference) -> None:
    """Write ``ref`` for ``key``, atomically (a reader sees the whole file or none); a
    folder that cannot be written only means the next process computes it again."""
    path, digest = _reference_file(folder, key)
    arrays = {f"indices{e}": drawn for e, drawn in enumerate(ref.epoch_indices)}
    partial = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=".reference-", suffix=".npz", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(digest), S=ref.S, losses=np.array(ref.epoch_losses), **arrays)
        os.replace(partial, path)
        partial = None
    except OSError:
        pass
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)


def _run_reference(
    data: TrainingData, seed: int, epochs: int, lr: float, slim: dict | None = None
) -> _Reference:
    ref = create(REFERENCE, data, seed=seed, learning_rate=lr, **(slim or {}))
    losses = [ref.run(data.nnz).loss for _ in range(epochs)]
    stream = make_rng(seed)  # the same stream, drawn in blocks, for replay tiers
    indices = [stream.integers(0, data.nnz, size=data.nnz) for _ in range(epochs)]
    S = ref.similarity()
    if np.count_nonzero(S) < 0.5 * data.nnz / max(data.n_users, 1):
        raise AssertionError("the check's reference S is almost empty; the check would be void")
    S = np.array(S, copy=True)
    for array in (S, *indices):
        array.setflags(write=False)  # shared by every later check of the same inputs
    return _Reference(S=S, epoch_losses=losses, epoch_indices=indices)


def _check_one(
    name: str,
    data: TrainingData,
    ref: _Reference,
    seed: int,
    lr: float,
    options: dict,
    slim: dict | None = None,
    workers: WorkerPlan | None = None,
) -> CheckResult:
    tier_name, options = _split_threads(name, options)
    cls = get_tier(tier_name)
    result = CheckResult(tier=name, exactness=cls.exactness, verdict="pass")
    reason = cls.unavailable_reason()
    if reason is not None:
        result.verdict, result.detail = "unavailable", reason
        return result
    start = time.perf_counter()
    tier = None
    create_options = {
        "seed": seed,
        "learning_rate": lr,
        **(slim or {}),
        **options.get(tier_name, {}),
    }
    losses: list[float] = []
    try:
        tier = workers.start(name, cls, create_options)
        tier.configure("watch_samples", True)  # a user loop: also check it leaves samples alone
        for indices in ref.epoch_indices:  # one call per epoch: continuation is checked too
            if cls.exactness == "replay":
                losses.append(tier.replay(indices).loss)
            else:
                losses.append(tier.run(data.nnz).loss)
        S = None if cls.exactness == "floor" else tier.similarity()
        if cls.exactness == "floor":
            result.seconds = time.perf_counter() - start
            return _check_floor(result, tier, ref.epoch_indices)
        modified = tier.call_hook("modified_inputs") or []
        sampler = tier.check_sampler(data.nnz) if cls.exactness == "replay" else None
    except TrainingDiverged as exc:  # the reference's loss stays finite over the same steps
        returned = tier.last_returned_loss if tier is not None else None
        result.verdict = "fail"
        result.detail = (
            f"the loss became non-finite at step {exc.step:,}"
            + (f" (train_steps returned {returned!r})" if returned is not None else "")
            + " where the reference's loss stays finite over the same steps"
        )
        # a read past a buffer's end gives garbage, often inf or NaN: the steps up to the
        # end of the call that diverged (one call per epoch) go to the checked build
        called = (len(losses) + 1) * data.nnz
        _locate_out_of_bounds(result, tier_name, cls, data, create_options, called, workers)
        return result
    except WorkerFailure as exc:  # crashed, exited or hung: located where it can be
        result.verdict, result.detail = exc.status, str(exc)
        _locate_crash(result, tier_name, cls, data, seed, lr, ref, create_options, workers)
        return result
    except SlimBenchError as exc:  # says what went wrong, where (a user's file and line)
        result.verdict, result.detail = "error", str(exc)
        return result
    finally:
        if tier is not None:
            tier.close()
    result.seconds = time.perf_counter() - start
    if modified:
        result.verdict = "fail"
        result.detail = (
            f"the step loop wrote into its input array(s) {', '.join(modified)}; only S may change"
        )
        return result

    if S.shape != ref.S.shape:
        result.verdict, result.detail = "fail", f"S has shape {S.shape}, expected {ref.S.shape}"
        return result
    diff = np.abs(S - ref.S)
    result.max_abs_diff = float(np.nanmax(diff)) if diff.size else 0.0
    result.loss_rel_diff = float(
        max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(losses, ref.epoch_losses, strict=True))
    )
    if cls.exactness in ("bitwise", "replay"):
        if not np.array_equal(S, ref.S):
            result.verdict = "fail"
            n = int(np.count_nonzero(S != ref.S))
            verb = "differs" if n == 1 else "differ"
            result.detail = f"{plural(n, 'entry', 'entries')} of S {verb}"
    else:
        scale = float(np.max(np.abs(ref.S)))
        if not result.max_abs_diff <= cls.tolerance * scale:
            result.verdict = "fail"
            result.detail = (
                f"max|dS| above tolerance {cls.tolerance:g} x max|S_ref| = "
                f"{cls.tolerance * scale:.3g}"
            )
    if sampler is not None:
        sampler_ok, seen = sampler
        result.detail = seen
        if result.passed and not sampler_ok:
            result.verdict = "fail"
    loss_rtol = max(LOSS_RTOL, cls.tolerance) if cls.exactness == "close" else LOSS_RTOL
    if result.passed and not result.loss_rel_diff <= loss_rtol:
        result.verdict = "fail"
        result.detail = f"epoch loss differs from the reference by {result.loss_rel_diff:.3g}"
    if result.verdict == "fail" and cls.exactness in ("bitwise", "close"):
        epochs, outcome = len(ref.epoch_indices), _outcome_digest(S, losses)
        _diagnose(result, tier_name, data, seed, lr, epochs, options, slim, workers, outcome)
    return result


#: the diagnoses made in this process (see _diagnose): what each added to its verdict
_DIAGNOSES: dict[tuple, tuple[str, dict | None]] = {}
_DIAGNOSES_KEPT = 8


def _outcome_digest(S: np.ndarray, losses: list[float]) -> str:
    """What a failing tier computed in its check: S's bytes and the epochs' losses."""
    digest = hashlib.sha256(repr((S.shape, S.dtype.str, [repr(x) for x in losses])).encode())
    digest.update(np.ascontiguousarray(S))
    return digest.hexdigest()


def _diagnose(
    result: CheckResult,
    name: str,
    data: TrainingData,
    seed: int,
    lr: float,
    epochs: int,
    options: dict,
    slim: dict | None = None,
    workers: WorkerPlan | None = None,
    outcome: str | None = None,
) -> None:
    """Add the first differing step to a failed verdict (see slimbench.measure.diagnose).

    The bisection and the bounds-checked run start a dozen worker processes or more. A
    verdict the same tier reached again in this process (the same class, data, seed,
    learning rate, epochs and options, and an ``outcome``, S and losses, identical to the
    byte) gets the diagnosis made then: a notebook's ``slimbench.check`` of a tier its
    ``%%slimbench_tier`` cell diagnosed already. A tier whose check came out otherwise
    (not deterministic, or edited) is diagnosed afresh.
    """
    cls = get_tier(name)
    key = None
    if outcome is not None:
        key = (
            cls,
            name,
            reference_key(data, seed, epochs, lr, slim)[1],
            seed,
            repr(float(lr)),
            epochs,
            repr(sorted((options.get(name) or {}).items())),
            repr(sorted((slim or {}).items())),
            outcome,
        )
        if key in _DIAGNOSES:
            added, first = _DIAGNOSES[key]
            result.detail += added
            if first is not None:
                result.first_difference = dict(first)
            return
    before = result.detail
    _diagnose_afresh(result, name, cls, data, seed, lr, epochs, options, slim, workers)
    if key is not None and result.detail.startswith(before):
        while len(_DIAGNOSES) >= _DIAGNOSES_KEPT:
            _DIAGNOSES.pop(next(iter(_DIAGNOSES)))
        first = dict(result.first_difference) if result.first_difference else None
        _DIAGNOSES[key] = (result.detail[len(before) :], first)


def _diagnose_afresh(
    result: CheckResult,
    name: str,
    cls: type,
    data: TrainingData,
    seed: int,
    lr: float,
    epochs: int,
    options: dict,
    slim: dict | None,
    workers: WorkerPlan | None,
) -> None:
    from .diagnose import first_difference

    found = first_difference(
        name,
        data,
        seed=seed,
        learning_rate=lr,
        steps=epochs * data.nnz,
        tolerance=cls.tolerance,
        options={**(slim or {}), **options.get(name, {})},
        reference_options=slim or {},
        make_tier=lambda opts: workers.start(name, cls, opts),
    )
    if isinstance(found, str):  # not located (it diverged on the way, say): all the steps
        result.detail += f"; {found}"
        checked_steps = epochs * data.nnz
    else:
        result.first_difference = found.to_dict()
        result.detail += f"; {found.sentence()}"
        if found.hint is not None:  # the cause is named already
            return
        checked_steps = found.step
    # a read past a buffer's end gives a wrong S: the checked build says where it reads
    create_options = {"seed": seed, "learning_rate": lr, **(slim or {}), **options.get(name, {})}
    _locate_out_of_bounds(result, name, cls, data, create_options, checked_steps, workers)


def _locate_out_of_bounds(
    result: CheckResult,
    name: str,
    cls: type,
    data: TrainingData,
    create_options: dict,
    steps: int,
    workers: WorkerPlan,
) -> None:
    """For a user's .pyx that went wrong within ``steps``: its bounds-checked build's line."""
    from .crash_locate import locate_out_of_bounds

    located = locate_out_of_bounds(
        cls,
        data,
        create_options,
        steps=steps,
        start=lambda opts, origin=None: workers.start(name, cls, opts, origin),
    )
    if located:
        result.first_difference = {
            **(result.first_difference or {}),
            "checked_step": located["checked_step"],
            "checked_message": located["checked_message"],
        }
        result.detail += located["sentence"]


def _locate_crash(
    result: CheckResult,
    name: str,
    cls: type,
    data: TrainingData,
    seed: int,
    lr: float,
    ref: _Reference,
    create_options: dict,
    workers: WorkerPlan,
) -> None:
    """Name where a crashing tier's worker died: the step, and in a user's .pyx the line."""
    from .crash_locate import locate_crash

    if cls.exactness not in ("bitwise", "close"):
        return
    found = locate_crash(
        name,
        cls,
        data,
        create_options,
        steps=len(ref.epoch_indices) * data.nnz,
        start=lambda opts, origin=None: workers.start(name, cls, opts, origin),
    )
    if found:
        result.first_difference = found.get("first_difference")
        result.detail += f"; {found['sentence']}"


def _split_threads(name: str, options: dict) -> tuple[str, dict]:
    """``"cython-parallel@3"`` is cython-parallel with ``threads=3`` (see split_width)."""
    from .tier_selection import split_width

    base, width = split_width(name)
    return base, {**options, base: {**options.get(base, {}), **width}}


def _check_floor(result: CheckResult, tier: RemoteTier, draws: list[np.ndarray]) -> CheckResult:
    """The floor's verdict: did it read every entry of every drawn profile, and no other?"""
    expected = [tier.call_hook("expected_checksums", d) for d in draws]
    ratings = sum(e[0] for e in expected)
    ids = sum(e[1] for e in expected)
    entries = sum(e[2] for e in expected)
    read, id_sum = tier.report("entries_read"), tier.report("index_checksum")
    rel = abs(tier.report("rating_checksum") - ratings) / max(abs(ratings), 1e-300)
    result.loss_rel_diff = rel
    result.detail = f"read {read:,} of {entries:,} profile entries"
    if read != entries or id_sum != ids or not rel <= LOSS_RTOL:
        result.verdict = "fail"
        result.detail += f"; item-id sum {id_sum:,} vs {ids:,}, rating sum off by {rel:.3g}"
    return result


def check_tiers(
    names: Sequence[str] | None = None,
    *,
    data: object | None = None,
    seed: int = 0,
    epochs: int = 3,
    learning_rate: float = CHECK_LEARNING_RATE,
    options: dict[str, dict] | None = None,
    slim: dict | None = None,
    call_timeout: float = DEFAULT_CALL_TIMEOUT,
) -> list[CheckResult]:
    """Cross-check ``names`` (default: every registered tier) against python-naive.

    Each tier runs ``epochs`` epochs of nnz steps, one ``run`` call per epoch, from the
    same seed as the reference. ``options`` maps a tier name to extra keyword arguments
    (threads, for example); a name ``tier@N`` checks that tier with ``threads=N``. ``slim``
    holds SLIM's options (``no_diagonal``, ``l2``) for the reference and every tier. The
    reference itself is reported as passing by definition; every other tier runs in a
    worker process of its own, each call bounded by ``call_timeout`` seconds at least.
    """
    data = check_dataset() if data is None else prepare_urm(data)
    names = list(tier_names() if names is None else names)
    for name in names:
        get_tier(_split_threads(name, {})[0])  # unknown names fail before any work
    ref = _reference(data, seed, epochs, learning_rate, slim)
    results = []
    workers = WorkerPlan(data, call_timeout)
    try:
        for name in names:
            results.append(
                _check_one(name, data, ref, seed, learning_rate, options or {}, slim, workers)
                if name != REFERENCE
                else _reference_result(name)
            )
    finally:
        workers.cleanup()
    return results


def _reference_result(name: str) -> CheckResult:
    return CheckResult(
        tier=name,
        exactness="bitwise",
        verdict="pass",
        max_abs_diff=0.0,
        loss_rel_diff=0.0,
        detail="the reference",
    )
