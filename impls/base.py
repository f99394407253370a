"""The one interface every tier implements.

A tier is created on a URM (that is its setup: conversions, allocation and first touch of
S, which the caller times apart), then :meth:`Tier.run` performs any number of SGD steps,
each call continuing the tier's own sample stream and its own S. :meth:`Tier.similarity`
hands S back in canonical orientation, ``S[j, i]`` = weight of profile item j towards
target item i, whatever layout the tier keeps inside.

The sampling contract (DESIGN.md): every tier but cython-rand draws interaction indices
from ``numpy.random.Generator(PCG64(seed)).integers(0, nnz)``, one at a time or in blocks,
which yields the same sequence either way. cython-rand keeps libc ``rand()``.
"""

from __future__ import annotations

import abc
import math
import numbers
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ._compiled import load_compiled
from .errors import InvalidInputError, TrainingDiverged
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

Exactness = Literal["bitwise", "close", "replay", "baseline"]
#: "baseline" is the floor: not a trainer, checked by what it read (entries, checksums)
EXACTNESS_CLASSES: tuple[str, ...] = ("bitwise", "close", "replay", "baseline")


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
    from .registry import slim_capable_tiers  # the registry imports this module

    return (
        f"tier {tier!r} does not support the SLIM options ({slim.describe()}): it stays the "
        f"seed's plain MSE step. Use {', '.join(slim_capable_tiers())}."
    )


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
    """

    #: registry name, e.g. ``"cython-rand"``
    name: ClassVar[str]
    #: "bitwise", "close", "replay" or "baseline" (see DESIGN.md, "Exactness classes")
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
    #: "% floor" is against the floor of the same layout (registry.floor_for)
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
