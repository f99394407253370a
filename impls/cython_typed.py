"""cython-typed (seed In [34]): typed memoryviews, still a Python-level draw per step."""

from __future__ import annotations

from ._compiled import require_compiled
from .python_indptr import PythonIndptr
from .registry import register


@register
class CythonTyped(PythonIndptr):
    # Same state as python-indptr (CSR, COO, dense S, the contract's stream); only the
    # compiled loop differs.
    name = "cython-typed"
    exactness = "bitwise"
    description = "seed In [34]: typed memoryviews and loops, Python-level draw per step"
    cython_source = "_cython_typed.pyx"
    #: profile entry (4 + 8 bytes) + a 64-byte line of S read and written back per entry
    bytes_per_entry = 12 + 2 * 64

    compiled_modules = ("_cython_typed",)

    @staticmethod
    def _loop():
        return require_compiled("_cython_typed").train_steps
