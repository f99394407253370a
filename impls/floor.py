"""The floors: not trainers; for the same draws, read each step's profile once.

A step of any exact tier must at least read its profile (item ids and ratings); a floor
does only that, so the report can show every tier's samples/s as a share of it. There is
one floor per profile layout, because what a read costs depends on the bytes per entry:

- ``floor``: int32 id + float64 rating (12 B), the layout of every float64 tier but the
  compact ones;
- ``floor-f32``: int32 id + float32 rating (8 B), for the float32 tiers;
- ``floor-compact``: the layout cython-interleaved uses (uint16 id + uint8 rating code,
  3 B, where the data allows; it falls back exactly as that tier does).

Each floor reads in the fastest way this project knows: the steps sorted by item with
their users gathered in the sort, items dealt to threads one at a time, and the next
step's profile prefetched (impls/cython_interleaved.py measured what each buys). A floor
a tier beats is no floor, so none is weaker than a trainer's own reading.

A floor is checked, not trusted: it sums the ratings and the item ids it reads and counts
the entries, and the cross-check compares those with numpy's sums over the same draws
(class "floor"). A loop the compiler dropped, or one that skipped entries, fails.
"""

from __future__ import annotations

import numpy as np

from .cython_interleaved import InterleavedTier
from .registry import register


class FloorTier(InterleavedTier):
    """Reads each drawn step's profile once, under the layout of its subclass."""

    exactness = "floor"
    similarity_itemsize = 0
    supports_slim_options = False  # it trains nothing: SLIM's options would mean nothing

    #: sums over every profile entry read so far (ratings, item ids) and the entry count
    rating_checksum: float
    index_checksum: int
    entries_read: int

    def _setup_similarity(self) -> None:
        self.rating_checksum, self.index_checksum, self.entries_read = 0.0, 0, 0

    def _first_touch(self) -> None:
        pass

    def _sorted_block(self, order, step_user, step_rating, item_ptr, item_sequence):
        indptr, ids, codes, scale = self._layout
        ratings, index_sum, entries = self._kernel.floor_block(
            ids, codes, scale, indptr, step_user, item_ptr, item_sequence,
            self.threads, self.prefetch,
        )
        self.rating_checksum += ratings
        self.index_checksum += index_sum
        self.entries_read += entries
        return 0.0, order.shape[0]

    def expected_checksums(self, draws: np.ndarray) -> tuple[float, int, int]:
        """What reading the profiles of ``draws`` must give: (ratings, item ids, entries)."""
        d = self.data
        # from the data, not from the floor's layout: a wrong code table must fail
        values = d.ratings.astype(self.dtype).astype(np.float64)
        per_user = np.bincount(d.rows[draws], minlength=d.n_users)
        rating_sums = np.bincount(d.rows, weights=values, minlength=d.n_users)
        id_sums = np.bincount(d.rows, weights=d.indices, minlength=d.n_users).astype(np.int64)
        lengths = np.diff(d.indptr).astype(np.int64)
        return (
            float(per_user @ rating_sums),
            int(per_user @ id_sums),
            int(per_user @ lengths),
        )

    def similarity(self) -> None:
        """A floor trains nothing: there is no S."""
        return None


@register
class Floor(FloorTier):
    name = "floor"
    description = "reads each drawn step's profile once (int32 ids, float64 ratings): no S"
    compact = False
    bytes_per_entry = 4 + 8  # what it reads: the profile entry, once
    profile_layout_name = "12 B"


@register
class FloorF32(FloorTier):
    name = "floor-f32"
    description = "the floor of the float32 tiers (int32 ids, float32 ratings): no S"
    compact = False
    dtype = np.float32
    bytes_per_entry = 4 + 4
    profile_layout_name = "8 B"


@register
class FloorCompact(FloorTier):
    name = "floor-compact"
    description = "the floor of the compact layout (uint16 ids, uint8 rating codes): no S"
    bytes_per_entry = 2 + 1
    profile_layout_name = "compact"
