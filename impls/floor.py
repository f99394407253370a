"""floor: not a trainer; for the same bucketed draws, read each step's profile once.

A step of any exact tier must at least read its profile (item ids and ratings); this tier
does only that, in the order and on the threads cython-parallel uses, so the report can show
every tier's samples/s as a share of it. It is checked, not trusted: it sums the ratings
and the item ids it reads and counts the entries, and the cross-check compares those with
numpy's sums over the same draws (class "baseline"). A loop the compiler dropped, or one
that skipped entries, fails.
"""

from __future__ import annotations

import numpy as np

from .cython_parallel import ParallelTier
from .registry import register


@register
class Floor(ParallelTier):
    name = "floor"
    exactness = "baseline"
    description = "reads each drawn step's profile once (int32 ids, float64 ratings): no S"
    similarity_itemsize = 0
    bytes_per_entry = 4 + 8  # what it reads: the profile entry, once
    supports_slim_options = False  # it trains nothing: SLIM's options would mean nothing

    #: sums over every profile entry read so far (ratings, item ids) and the entry count
    rating_checksum: float
    index_checksum: int
    entries_read: int

    def _setup_similarity(self) -> None:
        self.rating_checksum, self.index_checksum, self.entries_read = 0.0, 0, 0

    def _first_touch(self) -> None:
        pass

    def _train_block(self, draws, order, item_ptr, sq):
        ratings, ids, entries = self._parallel.floor_block(
            self._draw_arrays[0], *self._profile, draws, order, item_ptr, self.threads
        )
        self.rating_checksum += ratings
        self.index_checksum += ids
        self.entries_read += entries
        return 0.0, draws.shape[0]

    def expected_checksums(self, draws: np.ndarray) -> tuple[float, int, int]:
        """What reading the profiles of ``draws`` must give: (ratings, item ids, entries)."""
        d = self.data
        per_user = np.bincount(d.rows[draws], minlength=d.n_users)
        rating_sums = np.bincount(d.rows, weights=d.ratings, minlength=d.n_users)
        id_sums = np.bincount(d.rows, weights=d.indices, minlength=d.n_users).astype(np.int64)
        lengths = np.diff(d.indptr).astype(np.int64)
        return (
            float(per_user @ rating_sums),
            int(per_user @ id_sums),
            int(per_user @ lengths),
        )

    def similarity(self) -> None:
        """The floor trains nothing: there is no S."""
        return None
