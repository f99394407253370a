"""cython-transposed: the seed's In [40] loop with S stored transposed.

A step reads and writes column i of S only. Row-major S puts the entries of that column
``n_items * 8`` bytes apart, one cache line each; storing ``W = S.T`` makes column i the
contiguous row ``W[i]``, so a step's reads and writes share a few hundred kilobytes at most.
The step order is the seed's, so S is bitwise python-naive's, and so is the loss.
"""

from __future__ import annotations

import numpy as np

from ._compiled import require_compiled
from .base import StreamBlockTier, touched_zeros
from .registry import register


@register
class CythonTransposed(StreamBlockTier):
    name = "cython-transposed"
    exactness = "bitwise"
    description = "seed In [40] loop on W = S^T (column i contiguous), numpy stream in blocks"
    cython_source = "_cython_transposed.pyx"
    #: profile entry (4 + 8 bytes) + a 64-byte line of the row W[i] read and written back
    #: (W[i] is 85 KB for 10,681 items: one row, but not cache-resident between steps)
    bytes_per_entry = 12 + 2 * 64

    compiled_modules = ("_cython_transposed",)
    supports_slim_options = True

    def _setup(self) -> None:
        self._kernel = require_compiled("_cython_transposed")
        d = self.data
        self._arrays = (d.rows, d.indices, d.ratings, d.indptr, d.indices, d.ratings)
        self.W = touched_zeros((d.n_items, d.n_items))
        self._setup_stream()

    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        return self._kernel.train_steps(
            *self._arrays, self.W, self.learning_rate, draws, self.slim.no_diagonal, self.slim.l2
        )

    def similarity(self) -> np.ndarray:
        """S in canonical orientation, a transposed view of W (no copy)."""
        return self.W.T
