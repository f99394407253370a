"""python-naive's arithmetic on a few columns of S: the reference the audit replays.

A step on interaction (u, i, r) reads and writes column i of S only, so column i after any
number of steps is a function of the ordered subsequence of draws that targeted item i.
:class:`ColumnReference` keeps the columns of a set of audited items and, fed the stream
block by block, applies only the steps that target one of them, with python-naive's
arithmetic to the bit (impls/_audit_reference.pyx): the prediction summed over the
profile in CSR order from 0.0, ``err = r - pred``, the update ``S[j, i] += (lr * err) * r_j``
(or :func:`slimbench.impls.slim.l2_updated` with L2), and ``S[i, i] = 0`` after the step
with ``no_diagonal``.

What it does not reproduce: python-naive stops a call when the call's summed squared
error becomes non-finite, a sum over every column, which a few columns cannot know. A run
that diverged has no speed figure to audit.
"""

from __future__ import annotations

import numpy as np

from ._compiled import require_compiled
from .base import check_learning_rate
from .errors import InvalidInputError
from .limits import AUDIT_THREADS
from .slim import SlimOptions
from .urm import TrainingData, prepare_urm


def as_item_list(items: object, n_items: int) -> np.ndarray:
    """``items`` as a sorted, unique, non-empty int32 array of item ids in [0, n_items)."""
    arr = np.asarray(items)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise InvalidInputError(
            f"audited items must be a non-empty 1-D integer array, got dtype {arr.dtype} "
            f"with shape {arr.shape}."
        )
    if arr.min() < 0 or arr.max() >= n_items:
        raise InvalidInputError(
            f"audited items must lie in [0, {n_items}), got [{arr.min()}, {arr.max()}]."
        )
    if np.any(np.diff(arr) <= 0):
        raise InvalidInputError("audited items must be sorted and unique.")
    return arr.astype(np.int32)


def interaction_bitmap(data: TrainingData, items: np.ndarray) -> np.ndarray:
    """One bit per interaction (little-endian within a byte): set where its item is audited."""
    audited = np.zeros(data.n_items, dtype=bool)
    audited[items] = True
    return np.packbits(audited[data.indices], bitorder="little")


class ColumnReference:
    """The reference's columns ``S[:, items]``, trained on the draws that target them."""

    def __init__(
        self,
        urm: object,
        items: object,
        learning_rate: float,
        slim: SlimOptions | None = None,
        threads: int = 1,
    ) -> None:
        self.data: TrainingData = prepare_urm(urm)
        self.items = as_item_list(items, self.data.n_items)
        self.learning_rate = check_learning_rate(learning_rate)
        self.slim = SlimOptions() if slim is None else slim
        #: OpenMP threads over the columns (1: the draws are applied as they come)
        self.threads = int(AUDIT_THREADS.check(threads))
        self._kernel = require_compiled("_audit_reference")
        self._bits = interaction_bitmap(self.data, self.items)
        self._slot = np.full(self.data.n_items, -1, dtype=np.int32)
        self._slot[self.items] = np.arange(self.items.size, dtype=np.int32)
        #: column i of S is row slot_of_item[i] of W, contiguous: the kernel's layout
        self.W = np.zeros((self.items.size, self.data.n_items), dtype=np.float64)
        #: steps applied so far (draws that targeted an audited item)
        self.steps_applied = 0
        d = self.data
        self._arrays = (d.rows, d.indptr, d.indices, d.ratings)

    def apply(self, draws: object) -> int:
        """Apply, in order, the steps of ``draws`` (interaction indices) that target an item.

        Returns how many were applied; the other draws are skipped.
        """
        idx = np.asarray(draws)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise InvalidInputError(
                f"draws must be a 1-D integer array, got {idx.dtype} with shape {idx.shape}."
            )
        if idx.size == 0:
            return 0
        if idx.min() < 0 or idx.max() >= self.data.nnz:
            raise InvalidInputError(
                f"draws must lie in [0, nnz={self.data.nnz}), got [{idx.min()}, {idx.max()}]."
            )
        return self.apply_trusted(np.ascontiguousarray(idx, dtype=np.int64))

    def apply_trusted(self, draws: np.ndarray) -> int:
        """:meth:`apply` without the checks, for draws from a stream known to be sound.

        ``draws`` must be a contiguous int64 array of indices in [0, nnz): the audit's own
        regenerated stream is, and checking 10^9 draws would cost a tenth of the replay.
        """
        options = (self.learning_rate, self.slim.no_diagonal, self.slim.l2)
        if self.threads == 1:
            applied = int(self._kernel.train_columns(
                *self._arrays, self._bits, self._slot, draws, self.W, *options
            ))
        else:
            applied = self._apply_grouped(draws, options)
        self.steps_applied += applied
        return applied

    def _apply_grouped(self, draws: np.ndarray, options: tuple) -> int:
        """The audited draws grouped by column (stable: stream order within one), then
        the columns spread over threads. A hundredth of the draws or so are audited, so
        the grouping is cheap beside the scan."""
        hits = np.empty_like(draws)
        count = int(self._kernel.gather_audited(self._bits, draws, hits))
        hits = hits[:count]
        slots = self._slot[self.data.indices[hits]]
        steps = np.ascontiguousarray(hits[np.argsort(slots, kind="stable")])
        slot_ptr = np.zeros(self.items.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(slots, minlength=self.items.size), out=slot_ptr[1:])
        self._kernel.train_grouped(
            *self._arrays, steps, slot_ptr, self.W, *options, self.threads
        )
        return count

    def columns(self) -> np.ndarray:
        """A copy of ``S[:, items]``, shape (n_items, len(items)), as the reference has it."""
        return np.ascontiguousarray(self.W.T)


def count_user_draws(data: TrainingData, draws: np.ndarray, per_user: np.ndarray) -> None:
    """Add to ``per_user`` (int64, n_users) how often each user's interactions were drawn.

    ``draws`` must be a contiguous int64 array of indices in [0, nnz) (the audit's own
    stream is): the floors' checksums are per-user sums weighted by these counts.
    """
    require_compiled("_audit_reference").count_users(data.rows, draws, per_user)
