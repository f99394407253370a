"""cython-parallel and cython-parallel-f32: the bucketed block over OpenMP threads.

Items are dealt to threads dynamically (a few items per task: item workloads are
heavy-tailed); each thread owns whole columns of S for the block, so there are no locks,
no races and no Hogwild: S is bitwise the serial result for every thread count.
cython-parallel-f32 is the same with float32 S and ratings (class "close").

Where the extension was built without OpenMP the tiers run on one thread and say so in
``notes``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._compiled import require_compiled
from .cython_bucketed import BucketedTier
from .limits import available_cores, max_threads, thread_bound  # noqa: F401 - max_threads: importers
from .registry import register
from .wording import plural


def openmp_enabled() -> bool:
    """True where the parallel extension was compiled with OpenMP."""
    return bool(require_compiled("_cython_parallel").openmp_enabled())


def resolve_threads(threads: object) -> tuple[int, list[str]]:
    """Validate ``threads`` (None: every available core); (effective count, notes)."""
    requested = available_cores() if threads is None else int(thread_bound().check(threads))
    notes = []
    if not openmp_enabled():
        notes.append(
            f"built without OpenMP: runs on 1 thread (asked for {requested}); rebuild "
            "with a compiler that supports -fopenmp to use more"
        )
        return 1, notes
    cores = available_cores()
    if requested > cores:
        notes.append(f"{requested} threads on {plural(cores, 'available core')}: oversubscribed")
    return requested, notes


class ParallelTier(BucketedTier):
    """A bucketed tier whose block runs on ``threads`` OpenMP threads."""

    compiled_modules: ClassVar[tuple[str, ...]] = ("_cython_bucketed", "_cython_parallel")
    parallel_option: ClassVar[str] = "threads"

    def __init__(
        self,
        urm: object,
        *,
        seed: int = 0,
        learning_rate: float = 1e-6,
        threads: int | None = None,
        no_diagonal: bool = False,
        l2: float = 0.0,
    ) -> None:
        self._parallel = require_compiled("_cython_parallel")
        #: effective thread count, and what a reader of the results should know about it
        self.threads, self.notes = resolve_threads(threads)
        super().__init__(
            urm, seed=seed, learning_rate=learning_rate, no_diagonal=no_diagonal, l2=l2
        )

    def _first_touch(self) -> None:
        # each thread faults in rows of W (np.zeros would map them lazily, in timed steps)
        self._parallel.first_touch(self.W, self.threads)

    def _train_block(self, draws, order, item_ptr, sq):
        return self._parallel.train_block(
            *self._draw_arrays, *self._profile, self.W, self.learning_rate,
            draws, order, item_ptr, sq, self.threads, self.slim.no_diagonal, self.slim.l2,
        )

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", threads={self.threads}>"


@register
class CythonParallel(ParallelTier):
    name = "cython-parallel"
    exactness = "bitwise"
    description = "cython-bucketed with items spread over OpenMP threads (dynamic schedule)"
    cython_source = "_cython_parallel.pyx"
    cython_loop_source = "_bucket_steps.pxi"


@register
class CythonParallelF32(ParallelTier):
    name = "cython-parallel-f32"
    exactness = "close"
    description = "cython-parallel with float32 S and ratings (half the memory of S)"
    cython_source = "_cython_parallel.pyx"
    cython_loop_source = "_bucket_steps.pxi"
    # Measured on the check dataset (3 epochs, lr 5e-5, seeds 0-2): max|dS| / max|S_ref| =
    # 2.4e-7 to 4.0e-7, a few float32 epsilons (6e-8). 1e-4 leaves room for longer runs
    # (rounding accumulates per step) and still fails any wrong update, which is O(1).
    tolerance = 1e-4
    similarity_itemsize = 4
    dtype = np.float32
    bytes_per_entry = 4 + 4  # int32 id + float32 rating
    profile_layout_name = "8 B"
