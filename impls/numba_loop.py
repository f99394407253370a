"""numba: the seed's In [40] loop compiled by Numba, the peer of cython-rand.

The loop is the seed's line for line (row-major S, one step after another); only the draw
differs: indices come in blocks from the contract's numpy stream, so the tier is bitwise
equal to python-naive. Numba compiles at first call: that happens in setup, on a one-entry
dummy problem, and its duration is kept as ``compile_seconds``. Numba is optional (extra
``numba``); without it the tier is listed as unavailable.
"""

from __future__ import annotations

import importlib
import time
from functools import cache
from typing import ClassVar

import numpy as np

from .base import StreamBlockTier, touched_zeros
from .registry import register
from .slim import l2_updated


def train_steps(
    draw_user, draw_item, draw_rating, indptr, indices, ratings, S, lr, draws, no_diagonal, l2
):
    """The seed's In [40] loop over given draws; (loss, steps before a non-finite loss).

    ``no_diagonal`` and ``l2`` are SLIM's options (impls/slim.py).
    """
    loss = 0.0
    for sample_num in range(draws.shape[0]):
        index = draws[sample_num]
        user_id = draw_user[index]
        item_id = draw_item[index]
        true_rating = draw_rating[index]

        start_profile = indptr[user_id]
        end_profile = indptr[user_id + 1]
        predicted_rating = 0.0
        for index in range(start_profile, end_profile):
            predicted_rating += S[indices[index], item_id] * ratings[index]

        prediction_error = true_rating - predicted_rating
        loss += prediction_error**2
        if not np.isfinite(loss):
            return loss, sample_num

        if l2 != 0.0:
            for index in range(start_profile, end_profile):
                S[indices[index], item_id] = l2_updated(
                    S[indices[index], item_id], lr, prediction_error, ratings[index], l2
                )
        else:
            for index in range(start_profile, end_profile):
                S[indices[index], item_id] += lr * prediction_error * ratings[index]
        if no_diagonal:
            S[item_id, item_id] = 0.0
    return loss, draws.shape[0]


@cache
def _jitted():
    # fastmath stays off (Numba's default): no reassociation, no fused multiply-add
    numba = importlib.import_module("numba")
    # the shared L2 formula, made callable from compiled code (it stays a Python function)
    importlib.import_module("numba.extending").register_jitable(l2_updated)
    return numba.njit(nogil=True, fastmath=False)(train_steps)


@register
class NumbaLoop(StreamBlockTier):
    name = "numba"
    exactness = "bitwise"
    description = "seed In [40] loop under numba.njit, numpy stream in blocks (compile in setup)"
    #: as cython-rand: a profile entry and a 64-byte line of S read and written per entry
    bytes_per_entry = 12 + 2 * 64
    supports_slim_options = True

    #: seconds this setup spent compiling (0.0 where an earlier setup in the process did)
    compile_seconds: float
    #: seconds the first compilation in this process took: the cost a user pays once
    first_compile_seconds: ClassVar[float | None] = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            importlib.import_module("numba")
        except ImportError as exc:
            return (
                f"the optional package numba cannot be imported ({exc}); install it with "
                "pip install 'slim-mse-bench[numba]'"
            )
        return None

    def _setup(self) -> None:
        start = time.perf_counter()
        kernel = _jitted()
        one_i = np.zeros(1, dtype=np.int32)
        one_f = np.ones(1, dtype=np.float64)
        kernel(  # a one-entry URM, one step: compiles for the real argument types
            one_i,
            one_i,
            one_f,
            np.array([0, 1], dtype=np.int32),
            one_i,
            one_f,
            np.zeros((1, 1)),
            1e-3,
            np.zeros(1, dtype=np.int64),
            False,
            0.0,
        )
        self.compile_seconds = time.perf_counter() - start
        if NumbaLoop.first_compile_seconds is None:
            NumbaLoop.first_compile_seconds = self.compile_seconds
        self._kernel = kernel
        d = self.data
        self._arrays = (d.rows, d.indices, d.ratings, d.indptr, d.indices, d.ratings)
        self.S = touched_zeros((d.n_items, d.n_items))
        self._setup_stream()

    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        loss, done = self._kernel(
            *self._arrays, self.S, self.learning_rate, draws, self.slim.no_diagonal, self.slim.l2
        )
        return float(loss), int(done)

    def similarity(self) -> np.ndarray:
        return self.S
