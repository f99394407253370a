"""cython-bucketed: each block of draws grouped by target item, then trained item by item.

A step reads and writes column i of S only, and steps on different columns never interact.
So a block of draws can be reordered by target item, as long as each item keeps its own
steps in their original order (a stable counting sort): every value written to S is then
the one the seed's sequential loop writes, bit for bit, while the row ``W[i]`` (S stored
transposed) stays in cache for all of item i's steps of the block. More steps per item per
block means more reuse: larger ``run(n)`` calls (up to ``max_block``) run faster.

The loss: each step's squared error is stored at its original position and summed in that
order after the block, so the loss is python-naive's to the bit, and divergence is found at
exactly the reference's step. Steps of later positions on other columns have then already
been applied; to give back exactly the reference's S, the tier rebuilds S by replaying its
stream from step 1 up to the step before the diverging one (divergence ends a tier's life,
so that cost is paid once, and never in a run that does not diverge).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._compiled import require_compiled
from .base import StreamBlockTier, make_rng
from .registry import register


def bucket_by_item(draws: np.ndarray, draw_item: np.ndarray, n_items: int):
    """Positions of ``draws`` grouped by target item, original order kept within an item.

    Returns ``(order, item_ptr)``: item i's draws are at positions
    ``order[item_ptr[i]:item_ptr[i + 1]]``. ``draws`` is int64, ``draw_item`` the int32
    item of each interaction.
    """
    order = np.empty(draws.shape[0], dtype=np.int32)
    item_ptr = np.empty(n_items + 1, dtype=np.int64)
    require_compiled("_cython_bucketed").bucket_by_item(
        draws, draw_item, n_items, order, item_ptr
    )
    return order, item_ptr


class BucketedTier(StreamBlockTier):
    """Shared machinery of the item-bucketed tiers: layout, bucketing, exact divergence.

    Subclasses name their compiled module and implement :meth:`_train_block`.
    """

    #: bucketed blocks hold 8 (draw) + 4 (order) + 8 (squared error) bytes per step
    max_block: ClassVar[int] = 1 << 24
    #: element type of S (W) and of the ratings the kernel reads
    dtype: ClassVar[type] = np.float64
    compiled_modules: ClassVar[tuple[str, ...]] = ("_cython_bucketed",)
    #: the profile entry only (id + rating): the row W[i] stays in cache for the bucket
    bytes_per_entry: ClassVar[float] = 4 + 8
    supports_slim_options: ClassVar[bool] = True

    def _setup(self) -> None:
        d = self.data
        ratings = np.ascontiguousarray(d.ratings, dtype=self.dtype)  # exact for half stars
        # (user, rating) of the drawn interaction k, then the profile arrays
        self._draw_arrays = (d.rows, ratings)
        self._profile = (d.indptr, d.indices, ratings)
        self._setup_similarity()
        self._setup_stream()

    def _setup_similarity(self) -> None:
        n = self.data.n_items
        self.W = np.empty((n, n), dtype=self.dtype)
        self._first_touch()

    def _first_touch(self) -> None:
        self.W.fill(0.0)  # np.zeros maps pages lazily: fault them in setup, not in steps

    def _train_block(
        self, draws: np.ndarray, order: np.ndarray, item_ptr: np.ndarray, sq: np.ndarray
    ) -> tuple[float, int]:
        raise NotImplementedError

    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        order, item_ptr = bucket_by_item(draws, self.data.indices, self.data.n_items)
        squared_errors = np.empty(draws.shape[0], dtype=np.float64)
        return self._train_block(draws, order, item_ptr, squared_errors)

    def _run(self, n_steps: int) -> tuple[float, int]:
        loss, done = super()._run(n_steps)
        if done < n_steps:
            self._rebuild(self.steps_done + done)
        return loss, done

    def _rebuild(self, n_good: int) -> None:
        """Reset S and replay the stream's first ``n_good`` steps (none of them diverges)."""
        self._first_touch()
        stream = make_rng(self.seed)
        replayed = 0
        while replayed < n_good:
            draws = stream.integers(0, self.data.nnz, size=min(self.max_block, n_good - replayed))
            self._steps(draws)
            replayed += draws.shape[0]

    def similarity(self) -> np.ndarray:
        """S in canonical orientation, a transposed view of W (no copy)."""
        return self.W.T


@register
class CythonBucketed(BucketedTier):
    name = "cython-bucketed"
    exactness = "bitwise"
    description = "draws grouped by target item (stable), W = S^T row hot in cache; 1 thread"
    cython_source = "_cython_bucketed.pyx"
    cython_loop_source = "_bucket_steps.pxi"  # the step loop, included by the module

    def _setup(self) -> None:
        self._kernel = require_compiled("_cython_bucketed")
        super()._setup()

    def _train_block(self, draws, order, item_ptr, sq):
        return self._kernel.train_block(
            *self._draw_arrays, *self._profile, self.W, self.learning_rate,
            draws, order, item_ptr, sq, self.slim.no_diagonal, self.slim.l2,
        )
