"""python-indptr (seed In [29]) and cython-untyped (seed In [31]): one loop, two compilers.

The profile is taken by ``indptr`` slices instead of ``URM[u].indices``; the prediction
still goes through scipy. cython-untyped is the very same source compiled by Cython,
which shows what compiling without types buys (the seed: almost nothing).
"""

from __future__ import annotations

import numpy as np

from . import _indptr_loop
from ._compiled import require_compiled
from .base import Tier, make_rng, touched_zeros
from .registry import register


@register
class PythonIndptr(Tier):
    name = "python-indptr"
    exactness = "bitwise"
    description = "seed In [29]: Python loop, profile by indptr slices, scipy row dot"

    @staticmethod
    def _loop():
        return _indptr_loop.train_steps

    def _setup(self) -> None:
        self.urm = self.data.csr
        self.urm_coo = self.urm.tocoo()
        self.rng = make_rng(self.seed)
        self.S = touched_zeros((self.data.n_items, self.data.n_items))
        self._train_steps = self._loop()

    def _run(self, n_steps: int) -> tuple[float, int]:
        return self._train_steps(
            self.urm, self.urm_coo, self.S, self.learning_rate, self.rng, n_steps
        )

    def similarity(self) -> np.ndarray:
        return self.S


@register
class CythonUntyped(PythonIndptr):
    name = "cython-untyped"
    exactness = "bitwise"
    description = "seed In [31]: the python-indptr loop compiled by Cython, no cdef"
    cython_source = "_indptr_loop.py"  # what Cython compiles (through _cython_untyped.pyx)

    compiled_modules = ("_cython_untyped",)

    @staticmethod
    def _loop():
        return require_compiled("_cython_untyped").train_steps
