"""cython-interleaved-simd: cython-interleaved's step with AVX2 where the order is kept.

Same sort, dealing, prefetching and two lanes as cython-interleaved, on its compact
profile (uint16 ids, uint8 codes, float64 S). Two parts of the step use 4-wide vectors
(kernel in ``impls/_interleaved_simd.h``):

1. **the prediction's products**: ``w[id] * (code * scale)`` four at a time, then added to
   the lane's accumulator one by one in profile order, so the add chain is the original;
2. **the update**: ``g * r`` as a vector multiply, the four ``w[id]`` loaded into a vector,
   a separate vector add (no FMA), four scalar stores (a profile's ids are distinct).

Every product and every sum is rounded as in the scalar step, in the same order, so the
tier is bitwise (python-naive's S and loss). The module is baseline code with the kernel
compiled for AVX2 alone (a function target, not a flag of the whole extension); on a CPU
without AVX2 the tier is unavailable, with the reason. Where the data cannot take the
compact layout the tier runs cython-interleaved's scalar step and says so in ``notes``.
Measured (docs/tiers.md, "SIMD that keeps the order"): the update pass gains, the
prediction pass barely: its gathers from the 85 KB row W[i] (larger than the L1) bound it.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._compiled import load_compiled, require_compiled
from .cython_interleaved import InterleavedTier
from .registry import register

SIMD_MODULE = "_cython_interleaved_simd"


@register
class CythonInterleavedSimd(InterleavedTier):
    name = "cython-interleaved-simd"
    exactness = "bitwise"
    description = (
        "cython-interleaved with the products and the update in AVX2 vectors, order kept"
    )
    compiled_modules: ClassVar[tuple[str, ...]] = (
        "_cython_parallel", "_cython_interleaved", SIMD_MODULE,
    )
    cython_source = "_cython_interleaved_simd.pyx"
    bytes_per_entry = 2 + 1
    profile_layout_name = "compact"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = super().unavailable_reason()
        if reason is None:
            module, _ = load_compiled(SIMD_MODULE)
            reason = module.simd_unavailable_reason()
        return reason

    def _setup(self) -> None:
        super()._setup()
        _, ids, codes, _ = self._layout
        #: the AVX2 kernel takes the compact layout only
        self._simd = (
            require_compiled(SIMD_MODULE)
            if ids.dtype == np.uint16 and codes.dtype == np.uint8 and self.dtype == np.float64
            else None
        )
        if self._simd is None:
            self.notes.append(
                "the AVX2 step needs the compact layout: cython-interleaved's scalar step here"
            )

    def _sorted_block(
        self, order: np.ndarray, step_user: np.ndarray, step_rating: np.ndarray,
        item_ptr: np.ndarray, item_sequence: np.ndarray,
    ) -> tuple[float, int]:
        if self._simd is None:
            return super()._sorted_block(order, step_user, step_rating, item_ptr, item_sequence)
        squared_errors = np.empty(order.shape[0], dtype=np.float64)  # by original position
        indptr, ids, codes, scale = self._layout
        return self._simd.train_block(
            ids, codes, scale, indptr, self.W, self.learning_rate, order,
            step_user, step_rating, item_ptr, item_sequence, squared_errors, self.threads,
            self.slim.no_diagonal, self.slim.l2, self.prefetch, self.lanes,
        )
