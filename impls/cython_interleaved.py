"""cython-interleaved(-f32): cython-parallel's exact steps, with what bounded them removed.

The step is cython-parallel's, to the bit: each item's steps run in their original order
on one thread and touch only the row W[item], so S and the loss do not depend on the
thread count. What changed is everything around the arithmetic. A cython-parallel step
began with four dependent cache misses (the draw, its user, the user's indptr, the first
line of the profile) and then ran one float64 add chain whose order is fixed. Here:

1. **Steps gathered in the sort.** The stable counting sort by item also writes each
   step's user and rating next to it; its iterations are independent, so their misses
   overlap. Items are dealt to threads one at a time from a shared counter.
2. **The next profile prefetched**: its first 256 bytes, as soon as a step starts.
3. **Compact profiles**: uint16 item ids (catalogs up to 65,536 items) and uint8 rating
   codes with ``rating = code * scale``, ``scale`` a power of two, which is exact in binary
   floating point (half stars: ``scale = 0.5``). 3 bytes an entry instead of 12; each part
   falls back to the wide form on its own where the data does not allow it, with a note.
4. **Two items in flight per thread**: the two current profiles are walked together, each
   prediction's chain in its own order, so the two chains' latencies overlap.
5. **The sort on every thread**: each thread counts and scatters a consecutive part of
   the draws; part t's steps go after part t-1's within an item, so it stays stable.

Each idea was measured on its own, and so were the variants tried and dropped and what
bounds the step now: the tables and figures are in docs/tiers.md ("Closer to the limit").
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._compiled import require_compiled
from .cython_parallel import ParallelTier
from .registry import register

#: the largest catalog whose item ids fit the compact layout's uint16
COMPACT_ID_LIMIT = 1 << 16


def rating_codes(ratings: np.ndarray) -> tuple[np.ndarray, float] | None:
    """uint8 codes and a power-of-two ``scale`` with ``codes * scale == ratings`` exactly.

    None where no such codes exist (a rating below 0, above 255 after scaling, or not a
    multiple of 2^-7). Multiplying by a power of two is exact in binary floating point,
    so ``float(code) * scale`` is the rating itself, in float32 as in float64.
    """
    values = np.asarray(ratings, dtype=np.float64)
    if values.size == 0:
        return np.zeros(0, dtype=np.uint8), 1.0
    for shift in range(8):
        scaled = values * float(1 << shift)
        if scaled.min() < 0 or scaled.max() > 255:
            return None
        if np.array_equal(scaled, np.floor(scaled)):
            return scaled.astype(np.uint8), 1.0 / (1 << shift)
    return None


def profile_layout(
    indices: np.ndarray, ratings: np.ndarray, n_items: int, *, compact: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """(item ids, rating codes, scale) of the profile entries, compact where possible.

    Compact: uint16 ids where the catalog has at most 65,536 items, uint8 rating codes
    where :func:`rating_codes` finds them; each part falls back on its own (int32 ids,
    ratings of ``ratings``' dtype with scale 1).
    """
    ids, codes, scale = indices, ratings, 1.0
    if compact:
        if n_items <= COMPACT_ID_LIMIT:
            ids = indices.astype(np.uint16)
        coded = rating_codes(ratings)
        if coded is not None:
            codes, scale = coded
    return ids, codes, scale


def why_not_compact(data: object, layout: tuple) -> str:
    """One line: which part of the compact layout this dataset cannot use, and why."""
    _, ids, codes, _ = layout
    reasons = []
    if ids.itemsize > 2:
        reasons.append(f"{data.n_items:,} items (uint16 ids hold at most {COMPACT_ID_LIMIT:,})")
    if codes.itemsize > 1:
        reasons.append(
            "ratings that are not multiples of 2^-7 in [0, 255] (no exact uint8 code)"
        )
    return " and ".join(reasons)


class InterleavedTier(ParallelTier):
    """The item-sorted block, two items per thread in flight, on the compact profile."""

    compiled_modules: ClassVar[tuple[str, ...]] = ("_cython_parallel", "_cython_interleaved")
    #: use the compact layout where the data allows it (else the 12- or 8-byte one)
    compact: ClassVar[bool] = True
    prefetch: ClassVar[bool] = True
    lanes: ClassVar[int] = 2

    def _setup(self) -> None:
        self._kernel = require_compiled("_cython_interleaved")
        d = self.data
        ratings = np.ascontiguousarray(d.ratings, dtype=self.dtype)
        #: (indptr, ids, codes, scale): the profiles as the kernel reads them
        self._layout = (
            d.indptr, *profile_layout(d.indices, ratings, d.n_items, compact=self.compact)
        )
        _, ids, codes, _ = self._layout
        size = ids.itemsize + codes.itemsize
        #: the profile entry as this tier reads it on this dataset (the class says 3)
        self.layout = f"{ids.dtype.name} id + {codes.dtype.name} rating ({size} B)"
        self.bytes_per_entry = size
        if self.compact and size > 3:
            reason = why_not_compact(d, self._layout)
            self.notes.append(f"compact layout not possible here: {self.layout}; {reason}")
        self._draw_arrays = (d.rows, ratings)
        self._setup_similarity()
        self._setup_stream()

    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        d = self.data
        n = draws.shape[0]
        order = np.empty(n, dtype=np.int32)  # original position of each item-sorted step
        step_user = np.empty(n, dtype=np.int32)
        step_rating = np.empty(n, dtype=self.dtype)
        item_ptr = np.empty(d.n_items + 1, dtype=np.int64)
        self._kernel.sort_steps(
            draws, d.indices, d.rows, self._draw_arrays[1], d.n_items,
            order, step_user, step_rating, item_ptr, self.threads,
        )
        item_sequence = np.flatnonzero(np.diff(item_ptr)).astype(np.int32)
        return self._sorted_block(order, step_user, step_rating, item_ptr, item_sequence)

    def _sorted_block(
        self, order: np.ndarray, step_user: np.ndarray, step_rating: np.ndarray,
        item_ptr: np.ndarray, item_sequence: np.ndarray,
    ) -> tuple[float, int]:
        squared_errors = np.empty(order.shape[0], dtype=np.float64)  # by original position
        indptr, ids, codes, scale = self._layout
        return self._kernel.train_block(
            ids, codes, scale, indptr, self.W, self.learning_rate, order,
            step_user, step_rating, item_ptr, item_sequence, squared_errors, self.threads,
            self.slim.no_diagonal, self.slim.l2, self.prefetch, self.lanes,
        )


@register
class CythonInterleaved(InterleavedTier):
    name = "cython-interleaved"
    exactness = "bitwise"
    description = "cython-parallel on 3-byte profiles, two items in flight per thread"
    cython_source = "_cython_interleaved.pyx"
    bytes_per_entry = 2 + 1
    profile_layout_name = "compact"


@register
class CythonInterleavedF32(InterleavedTier):
    name = "cython-interleaved-f32"
    exactness = "close"
    description = "cython-interleaved with float32 S (half the memory of S)"
    cython_source = "_cython_interleaved.pyx"
    tolerance = 1e-4
    similarity_itemsize = 4
    dtype = np.float32
    bytes_per_entry = 2 + 1
    profile_layout_name = "compact"
