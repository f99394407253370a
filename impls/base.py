"""The one interface every tier implements.

A tier is created on a URM (that is its setup: conversions, allocation and first touch of
S, which the caller times apart), then :meth:`Tier.run` performs any number of SGD steps,
each call continuing the tier's own sample stream and its own S. :meth:`Tier.similarity`
hands S back in canonical orientation, ``S[j, i]`` = weight of profile item j towards
target item i, whatever layout the tier keeps inside.

The sampling contract (docs/exactness.md): every tier but cython-rand draws interaction indices
from ``numpy.random.Generator(PCG64(seed)).integers(0, nnz)``, one at a time or in blocks,
which yields the same sequence either way. cython-rand keeps libc ``rand()``.
"""

from __future__ import annotations

import abc
import inspect
import math
import numbers
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ._compiled import load_compiled
from .errors import InvalidInputError, TierClassError, TrainingDiverged
from .limits import (  # noqa: F401 - MAX_SEED, MAX_STEPS, check_count: where importers found them
    LEARNING_RATE,
    MAX_SEED,
    MAX_STEPS,
    SEED,
    STEPS,
    check_count,
)
from .slim import SlimOptions
from .urm import TrainingData, prepare_urm

Exactness = Literal["bitwise", "close", "replay", "floor"]
#: "floor": not a trainer, checked by what it read (entries, checksums)
EXACTNESS_CLASSES: tuple[str, ...] = ("bitwise", "close", "replay", "floor")
#: old names of a class, still accepted from a tier class (plugins written before the rename)
#: and read from results files of an older schema; "baseline" was confused with the
#: python-naive baseline of the ratios and with the quality baselines of ``slimbench train``
EXACTNESS_ALIASES: dict[str, str] = {"baseline": "floor"}


def make_rng(seed: int) -> np.random.Generator:
    """The contract's sample stream: ``Generator(PCG64(seed))``."""
    return np.random.Generator(np.random.PCG64(seed))


def touched_zeros(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A zero array whose every page has been written once.

    ``np.zeros`` maps pages lazily, so the first write to each page of a 0.9 GB S would
    page-fault inside the timed loop; writing the zeros here moves that cost into setup.
    """
    out = np.empty(shape, dtype=dtype)
    out.fill(0)
    return out


def check_learning_rate(learning_rate: object) -> float:
    """Return ``learning_rate`` as a float, or raise if it is not a positive finite number."""
    return float(LEARNING_RATE.check(learning_rate))


def unsupported_slim_message(tier: str, slim: SlimOptions) -> str:
    """The one line that refuses SLIM options on a tier that does not implement them."""
    return (
        f"tier {tier!r} does not support the SLIM options ({slim.describe()}): it stays the "
        f"seed's plain MSE step. Use {', '.join(_slim_capable_tiers())}."
    )


#: the registered tiers that implement SLIM's options, in order: the registry installs its
#: lister here (set_slim_capable_lister), for it imports this module and not the reverse
_slim_capable_tiers: Callable[[], Sequence[str]] = tuple


def set_slim_capable_lister(lister: Callable[[], Sequence[str]]) -> None:
    """Name the function that lists the SLIM-capable tiers (the registry calls it once)."""
    global _slim_capable_tiers
    _slim_capable_tiers = lister


@dataclass(frozen=True)
class RunResult:
    """What one :meth:`Tier.run` call did."""

    steps: int
    loss: float  # summed squared error of this call's steps
    #: wall seconds of the call, read around the tier's own work where the caller is in
    #: another process (the harness's worker); None where the caller times the call
    seconds: float | None = None


class Tier(abc.ABC):
    """One implementation of the SLIM MSE SGD step loop.

    Subclasses set the class attributes and implement :meth:`_setup`, :meth:`_run` and
    :meth:`similarity`. Validation happens here, once; ``_run`` trusts its arguments.

    Every hook the harness reads of a tier is declared on this class with its default (the
    optional ones below "The harness's optional hooks"): the harness reads them as plain
    attributes, never by probing, and its worker hands out by name only those listed in
    :data:`REPORTED_ATTRIBUTES`, :data:`SETTABLE_ATTRIBUTES` and :data:`CALLED_HOOKS`.
    """

    #: registry name, e.g. ``"cython-rand"``
    name: ClassVar[str]
    #: "bitwise", "close", "replay" or "floor" (see docs/exactness.md, "The classes");
    #: "baseline", the old name of "floor", is accepted and becomes "floor" at registration
    exactness: ClassVar[Exactness]
    #: one line naming the seed cell the tier reproduces, or what it adds
    description: ClassVar[str]
    #: for class "close": max|S - S_ref| <= tolerance * max|S_ref|
    tolerance: ClassVar[float] = 0.0
    #: bytes of S per matrix element
    similarity_itemsize: ClassVar[int] = 8
    #: compiled modules (in slimbench.impls) the tier needs; missing ones make it unavailable
    compiled_modules: ClassVar[tuple[str, ...]] = ()
    #: where the tier comes from: {"kind": "built-in"}, or "file" (path, sha256), "class"
    #: (module:Class spec) or "plugin" (distribution, entry point) for tiers from outside
    origin: ClassVar[dict] = {"kind": "built-in"}
    #: bytes a step moves beyond the caches per profile entry under the tier's layout (a
    #: model, for the bandwidth columns); None where the interpreter, not memory, bounds it
    bytes_per_entry: ClassVar[float | None] = None
    #: short name of the profile layout the tier reads (the tables' "layout" column); its
    #: "% floor" is against the floor of the same layout (registry.floor_by_layout)
    profile_layout_name: ClassVar[str] = "12 B"
    #: the keyword that sets how wide the tier runs ("threads", "workers"), None if it
    #: runs on one thread; ``tier@N`` in a check sets it to N
    parallel_option: ClassVar[str | None] = None

    @classmethod
    def memory_bytes(cls, data: TrainingData, **options: object) -> int:
        """Memory a prepared tier holds on this machine beyond the shared URM: S and copies."""
        return cls.similarity_itemsize * data.n_items * data.n_items + 16 * data.nnz
    #: True where S lives outside this process (Dask actors) and ``top_k(k)`` gathers the
    #: k largest entries of each column without ever building the dense S
    similarity_is_distributed: ClassVar[bool] = False
    #: True where the tier implements SLIM's options (``no_diagonal``, ``l2``; impls/slim.py)
    supports_slim_options: ClassVar[bool] = False

    #: set by the constructor and kept by :meth:`run`: steps done over the tier's life, their
    #: summed squared error, and the step at which the loss became non-finite (None while
    #: training is sound)
    steps_done: int
    loss: float
    diverged_at: int | None

    # -- The harness's optional hooks: each has its default here ---------------------------

    #: the float type of the ratings the tier reads (and of S); a floor's expected checksums
    #: and the audit of a floor's timed work take the ratings in this type
    dtype: ClassVar[type] = np.float64
    #: the Cython source the tier compiles, beside its module (``slimbench annotate``)
    cython_source: ClassVar[str | None] = None
    #: the file holding the step loop where the source includes it (a ``.pxi`` beside it)
    cython_loop_source: ClassVar[str | None] = None
    #: a user's ``.pyx``, wherever it lives (it takes the place of ``cython_source``)
    cython_source_path: ClassVar[str | os.PathLike | None] = None
    #: seconds spent compiling: for a class from a user's file its build (0.0 on a cache
    #: hit), for a tier that compiles in its setup (Numba) this setup's compilation
    compile_seconds: float | None = None
    #: seconds the first compilation in this process took (a JIT compiles once per process);
    #: the harness reports it before ``compile_seconds``
    first_compile_seconds: ClassVar[float | None] = None
    #: True where a user's file was not compiled but taken from the build cache
    build_cache_hit: ClassVar[bool] = False
    #: what a user's build had to say (a broken cached binary discarded and rebuilt)
    build_notes: ClassVar[Sequence[str]] = ()
    @classmethod
    def build_summary(cls) -> str:
        """How a user's compiled file was built: a cache hit or its compile time, and notes."""
        words = (
            "build cache hit"
            if cls.build_cache_hit
            else f"compiled in {cls.compile_seconds or 0.0:.1f} s (cached for the next run)"
        )
        return "; ".join([words, *cls.build_notes])

    #: threads (or cores) the prepared tier keeps busy
    threads: int = 1
    #: the instruction set the prepared tier's kernel runs with, where it chooses one for the
    #: CPU (the SIMD tiers: "avx2", or "baseline" for their scalar step; ``$SLIMBENCH_SIMD``
    #: overrides the choice); None where the tier has one build only
    instruction_set: str | None = None
    #: sentences the report adds about the prepared tier (a layout that fell back, a cluster's
    #: dashboard address, where a user's file came from)
    notes: Sequence[str] = ()
    #: the loss a user's ``train_steps`` returned last (said where the loss diverged)
    last_returned_loss: float | None = None
    #: the cross-check sets it True: a user's loop is also checked to leave ``samples`` alone
    watch_samples: bool = False
    #: a floor's sums over every profile entry read so far: ratings, item ids, and the count
    #: of entries (class "floor"; None where the tier is no floor)
    rating_checksum: float | None = None
    index_checksum: int | None = None
    entries_read: int | None = None

    def modified_inputs(self) -> list[str]:
        """The input arrays (and ``samples``) the tier's loop wrote into: a user's loop must
        leave them alone. The project's tiers write none."""
        return []

    def worker_memory(self) -> list[dict] | None:
        """Resident bytes (``start_bytes``, ``peak_bytes``) of each process the tier runs its
        blocks in beyond its own (Dask workers); None where it runs in its own process only."""
        return None

    def expected_checksums(self, draws: np.ndarray) -> tuple[float, int, int]:
        """What reading the profiles of ``draws`` must give a floor: (ratings, item ids,
        entries). Class "floor" only."""
        raise NotImplementedError(f"tier {self.name!r} is no floor: it has no checksums")

    def top_k(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k largest entries of each column of S, (indices, values) of shape (k, n_items):
        for a tier whose S is distributed, gathered without building the dense S."""
        raise NotImplementedError(
            f"tier {self.name!r} keeps S in this process: use similarity()"
        )

    def report(self, attribute: str) -> object:
        """The value of one of :data:`REPORTED_ATTRIBUTES` (the worker's ``get``)."""
        return getattr(self, contract_name(attribute, REPORTED_ATTRIBUTES, "reported"))

    def configure(self, attribute: str, value: object) -> None:
        """Set one of :data:`SETTABLE_ATTRIBUTES` (the worker's ``set``)."""
        setattr(self, contract_name(attribute, SETTABLE_ATTRIBUTES, "settable"), value)

    def call_hook(self, method: str, *args: object) -> object:
        """Call one of :data:`CALLED_HOOKS` (the worker's ``call``)."""
        return getattr(self, contract_name(method, CALLED_HOOKS, "called"))(*args)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why the tier cannot run here (None where it can)."""
        for module in cls.compiled_modules:
            reason = load_compiled(module)[1]
            if reason is not None:
                return reason
        return None

    def __init__(
        self,
        urm: object,
        *,
        seed: int = 0,
        learning_rate: float = 1e-6,
        no_diagonal: bool = False,
        l2: float = 0.0,
    ) -> None:
        self.data: TrainingData = prepare_urm(urm)
        self.seed = int(SEED.check(seed))
        self.learning_rate = check_learning_rate(learning_rate)
        self.slim = SlimOptions(no_diagonal=no_diagonal, l2=l2)
        if not self.slim.is_default and not self.supports_slim_options:
            raise InvalidInputError(unsupported_slim_message(self.name, self.slim))
        self.steps_done = 0
        #: the step at which the loss became non-finite (None while training is sound)
        self.diverged_at: int | None = None
        self.loss = 0.0
        self._setup()

    @abc.abstractmethod
    def _setup(self) -> None:
        """Allocate and first-touch S, convert the URM into the tier's own layout."""

    @abc.abstractmethod
    def _run(self, n_steps: int) -> tuple[float, int]:
        """Do up to ``n_steps`` steps; return (summed squared error, steps completed).

        Fewer steps than asked means the loss became non-finite at step ``completed + 1``
        of this call, whose update was not applied.
        """

    @abc.abstractmethod
    def similarity(self) -> np.ndarray:
        """S as a float array of shape (n_items, n_items), indexed ``S[j, i]``."""

    def columns(self, items: np.ndarray) -> np.ndarray:
        """``S[:, items]`` as float64, shape (n_items, len(items)): what the audit compares.

        A tier whose S lives elsewhere (Dask actors) overrides this to fetch the columns
        alone rather than gathering the dense S.
        """
        return np.array(np.asarray(self.similarity())[:, items], dtype=np.float64)

    def close(self) -> None:  # noqa: B027 - a no-op by default, not abstract
        """Release what the tier holds outside this process (a cluster); idempotent."""

    def run(self, n_steps: int) -> RunResult:
        """Run ``n_steps`` more SGD steps, continuing this tier's stream and S.

        Raises :class:`TrainingDiverged` if the summed squared error becomes non-finite;
        S then holds every update before the diverging step.
        """
        n_steps = int(STEPS.check(n_steps))
        self._refuse_if_diverged()
        if n_steps == 0:
            return RunResult(0, 0.0)
        return self._account(n_steps, self._run, n_steps)

    def _refuse_if_diverged(self) -> None:
        # its S stops before the diverging step while its stream may have moved on: further
        # steps would train on a stream no other tier follows
        if self.diverged_at is not None:
            raise InvalidInputError(
                f"tier {self.name!r} diverged at step {self.diverged_at:,} and cannot train "
                "further; create a new tier with a lower learning rate."
            )

    def _account(self, asked: int, loop, *args: object) -> RunResult:
        """Run ``loop(*args)``, count its steps, and raise if it stopped on divergence."""
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            loss, done = loop(*args)
        if isinstance(done, bool) or not isinstance(done, numbers.Integral) or not (
            0 <= done <= asked
        ):  # a tier from outside may return anything: its count must not corrupt ours
            raise InvalidInputError(
                f"tier {self.name!r} reported {done!r} steps done for a call of {asked:,}; "
                "its loop must return (loss, steps) with 0 <= steps <= the steps asked."
            )
        self.steps_done += done
        if done < asked or not math.isfinite(loss):
            self.diverged_at = self.steps_done + 1
            raise TrainingDiverged(self.name, self.diverged_at)
        self.loss += loss
        return RunResult(int(done), float(loss))  # plain Python numbers from every tier

    def __repr__(self) -> str:
        d = self.data
        return (
            f"<{type(self).__name__} {self.name!r} on {d.n_users}x{d.n_items} nnz={d.nnz}, "
            f"steps_done={self.steps_done}>"
        )


class StreamBlockTier(Tier):
    """A tier that draws the contract's stream in blocks of at most ``max_block`` indices.

    ``_run(n)`` hands the kernel one block after another; a block's size changes nothing
    in the results, only the memory the draws take (8 bytes each, more for bucketed tiers).
    """

    #: the most indices drawn (and held) at once
    max_block: ClassVar[int] = 1 << 22

    def _setup_stream(self) -> None:
        self.rng = make_rng(self.seed)

    @abc.abstractmethod
    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        """One step per index of ``draws`` (int64); (loss, steps before non-finite loss)."""

    def _run(self, n_steps: int) -> tuple[float, int]:
        loss, done = 0.0, 0
        while done < n_steps:
            draws = self.rng.integers(0, self.data.nnz, size=min(self.max_block, n_steps - done))
            block_loss, block_done = self._steps(draws)
            loss += block_loss
            done += block_done
            if block_done < draws.shape[0]:
                break
        return loss, done


class ReplayTier(Tier):
    """A tier whose sampler cannot follow the contract's stream (class "replay").

    It exposes its compiled step loop fed with explicit interaction indices, which is
    how its arithmetic is proven equal to the reference.
    """

    exactness: ClassVar[Exactness] = "replay"
    #: the stream the tier draws, by a name the harness's audit can regenerate (cython-rand:
    #: "libc-rand", srand(seed) then rand() % nnz); None: the timed work is not audited
    audit_stream: ClassVar[str | None] = None

    @classmethod
    def check_sampler(cls, nnz: int) -> tuple[bool, str]:
        """Test the tier's own sampler over ``nnz`` interactions: (passed, what was seen)."""
        return True, "no sampler test"

    @abc.abstractmethod
    def _replay(self, indices: np.ndarray) -> tuple[float, int]:
        """Run the compiled step loop on ``indices`` (int64, all in [0, nnz))."""

    def replay(self, indices: object) -> RunResult:
        """Apply one step per entry of ``indices`` through the tier's own step loop."""
        self._refuse_if_diverged()
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise InvalidInputError(
                f"replay indices must be a 1-D integer array, got {idx.dtype} with shape "
                f"{idx.shape}."
            )
        if idx.size and (idx.min() < 0 or idx.max() >= self.data.nnz):
            raise InvalidInputError(
                f"replay indices must lie in [0, nnz={self.data.nnz}), got "
                f"[{idx.min()}, {idx.max()}]."
            )
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        return self._account(idx.size, self._replay, idx)


# -- The contract's names, as the harness's worker speaks them ---------------------------------

#: attributes of a live tier the harness reads through its worker, by name
REPORTED_ATTRIBUTES: tuple[str, ...] = (
    "steps_done",
    "loss",
    "diverged_at",
    "last_returned_loss",
    "entries_read",
    "rating_checksum",
    "index_checksum",
)
#: attributes of a live tier the harness sets through its worker
SETTABLE_ATTRIBUTES: tuple[str, ...] = ("watch_samples",)
#: methods of a live tier the harness calls through its worker, by name
CALLED_HOOKS: tuple[str, ...] = ("modified_inputs", "worker_memory", "expected_checksums", "top_k")
#: what a class of exactness "floor" defines itself: the floor's check reads them
FLOOR_HOOKS: tuple[str, ...] = (
    "expected_checksums",
    "rating_checksum",
    "index_checksum",
    "entries_read",
)


class ContractError(InvalidInputError, AttributeError):
    """A hook asked for by a name the Tier contract does not declare (a misspelling)."""


def contract_name(name: object, declared: tuple[str, ...], kind: str) -> str:
    """``name`` if it is one of ``declared``; else a ContractError naming those it may be."""
    if name not in declared:
        raise ContractError(
            f"{name!r} is not a {kind} hook of the Tier contract (impls/base.py); the "
            f"{kind} ones are {', '.join(declared)}."
        )
    return str(name)


def defines_hook(cls: type, hook: str) -> bool:
    """True if ``cls`` itself, below the contract, sets or annotates ``hook``."""
    return any(
        hook in vars(k) or hook in inspect.get_annotations(k)
        for k in cls.__mro__
        if k.__module__ != __name__ and k is not object
    )


# -- The one check of a tier class, at its registration ----------------------------------------

_UNSELECTABLE = re.compile(r"[,@:\s]")


def check_tier_class(cls: object, where: str) -> type[Tier]:
    """``cls`` if it is a concrete Tier subclass that can be registered, selected and
    checked; else a TierClassError (an InvalidInputError) in one line that starts with
    ``where``."""
    if not (isinstance(cls, type) and issubclass(cls, Tier)):
        raise TierClassError(
            f"{where} is {cls!r}, not a subclass of slimbench.impls.Tier; see the README, "
            "'Your own tier'."
        )
    missing = [a for a in ("name", "exactness", "description") if not hasattr(cls, a)]
    if missing:
        raise TierClassError(f"{where}: the class sets no {', '.join(missing)}.")
    name = cls.name
    if not isinstance(name, str) or not name or not name.isprintable() or name != name.strip():
        kind = "" if isinstance(name, str) else f" ({type(name).__name__}); set name to a string"
        raise TierClassError(
            f"{where}: the tier name is {name!r}{kind}: a tier's name must be printable text "
            "without control characters or surrounding spaces."
        )
    if name == "all" or _UNSELECTABLE.search(name):
        raise TierClassError(
            f"{where}: the tier name {name!r} cannot be selected with --tiers; use one word "
            "without ',', '@', ':' or spaces, other than 'all'."
        )
    if cls.exactness in EXACTNESS_ALIASES:
        # set on the class itself, so that every later reader (the worker's description,
        # the check, the tables) sees the one current name
        cls.exactness = EXACTNESS_ALIASES[cls.exactness]
    if cls.exactness not in EXACTNESS_CLASSES:
        raise TierClassError(
            f"{where}: exactness {cls.exactness!r} is not one of {', '.join(EXACTNESS_CLASSES)}."
        )
    tolerance = cls.tolerance
    if cls.exactness == "close" and (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not 0 < tolerance < 1
    ):  # a tolerance of 1 would pass any S at all
        raise TierClassError(
            f"{where}: tier {name!r} is of class close with tolerance {tolerance!r}; it must be "
            "a number in (0, 1) (max|S - S_ref| <= tolerance * max|S_ref|)."
        )
    if cls.exactness == "replay" and not issubclass(cls, ReplayTier):
        raise TierClassError(
            f"{where}: exactness 'replay' needs a subclass of slimbench.impls.ReplayTier "
            "(its replay of given indices is how it is checked)."
        )
    if cls.exactness == "floor":
        absent = [hook for hook in FLOOR_HOOKS if not defines_hook(cls, hook)]
        if absent:
            raise TierClassError(
                f"{where}: exactness 'floor' is checked by the checksums of what it reads, "
                f"and the class has no {', '.join(absent)} (see slimbench.impls.floor)."
            )
    if inspect.isabstract(cls):
        methods = ", ".join(sorted(cls.__abstractmethods__))
        raise TierClassError(f"{where}: the class does not implement {methods}.")
    if not isinstance(cls.description, str):
        raise TierClassError(f"{where}: the description is {cls.description!r}, not a string.")
    return cls
