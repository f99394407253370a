"""cython-interleaved-simd(-f32): cython-interleaved's step in AVX2 vectors.

Same sort, dealing, prefetching and two lanes as cython-interleaved, on its compact
profile (uint16 ids, uint8 codes). The kernels are C with intrinsics, one function each
compiled for target ``avx2`` inside a baseline module (``impls/_interleaved_simd.h``,
``impls/_interleaved_simd_f32.h``).

**cython-interleaved-simd** (float64 S, bitwise). Two parts of the step use 4-wide vectors:

1. **the prediction's products**: ``w[id] * (code * scale)`` four at a time, then added to
   the lane's accumulator one by one in profile order, so the add chain is the original;
2. **the update**: ``g * r`` as a vector multiply, then each ``w[id] + gr`` added and
   stored one by one (no FMA), as the float32 tier's update.

Every product and every sum is rounded as in the scalar step, in the same order, so the
tier is bitwise (python-naive's S and loss). Measured (docs/tiers.md, "SIMD that keeps the
order" and "What bounds the SIMD step"): the step is within about a tenth of its loads and
stores from the row W[i] alone, which bound it.

**cython-interleaved-simd-f32** (float32 S, class close, tolerance 1e-4 as
cython-interleaved-f32). Eight floats a vector, and the prediction **reassociated**: a
profile's entries go into sixteen partial sums (two 8-wide accumulators, entry q into
element q % 8 of accumulator (q / 8) % 2), summed in a fixed order at the end, the last
n % 8 entries added after; so the prediction is no longer one latency chain. The update
rounds as cython-interleaved-f32's (``w + g * r``, no FMA), eight at a time. The sums
depend on the profile alone, not on the thread count or the lanes: S is the same at any
thread count. What the reassociation does to the distance from the reference
(max|dS| / max|S_ref|, python-naive's float64 S) is measured in docs/tiers.md ("The float32
tier in AVX2").

**The instruction set is chosen when the tier is set up**, the best the CPU runs (today
the one there is: AVX2, by ``__builtin_cpu_supports``), and recorded as the tier's
``instruction_set`` (results.json's tier entry). ``SLIMBENCH_SIMD`` overrides it: ``off``
runs the scalar step of cython-interleaved(-f32) under the tier's name (instruction set
"baseline", said in the notes), ``avx2`` insists on the kernel (the tier is unavailable
where it cannot run), ``auto`` or unset chooses. Without AVX2 (and no override) the tier is
unavailable, with the reason, rather than time the scalar step twice under two names.
Where the data cannot take the compact layout the tier runs the scalar step too and says
so in ``notes``.
"""

from __future__ import annotations

import os
from typing import ClassVar

import numpy as np

from ._compiled import load_compiled, require_compiled
from .cython_interleaved import InterleavedTier
from .registry import register

SIMD_MODULE = "_cython_interleaved_simd"
#: the environment variable that overrides the instruction set the SIMD tiers choose
SIMD_VARIABLE = "SLIMBENCH_SIMD"
#: the instruction sets the SIMD kernels are built for, best first (one function target each)
SIMD_INSTRUCTION_SETS: tuple[str, ...] = ("avx2",)
#: the instruction set of the scalar step (the module's own x86-64 baseline code)
BASELINE = "baseline"
#: what ``SLIMBENCH_SIMD`` may say
SIMD_SETTINGS: tuple[str, ...] = ("auto", "off", *SIMD_INSTRUCTION_SETS)


def simd_setting() -> str:
    """``$SLIMBENCH_SIMD`` in lower case, "auto" where unset or empty."""
    return os.environ.get(SIMD_VARIABLE, "").strip().lower() or "auto"


def simd_choice() -> tuple[str | None, str | None]:
    """(the instruction set the SIMD tiers run with here, why they cannot run or None).

    Read at each call (each tier's setup, in its own process), so the variable set before
    a run applies to every tier of it.
    """
    setting = simd_setting()
    if setting not in SIMD_SETTINGS:
        return None, (
            f"{SIMD_VARIABLE}={os.environ.get(SIMD_VARIABLE)!r} is not one of "
            f"{', '.join(SIMD_SETTINGS)}"
        )
    if setting == "off":
        return BASELINE, None
    module, reason = load_compiled(SIMD_MODULE)
    if reason is None:
        reason = module.simd_unavailable_reason()
    if reason is not None:
        return None, reason if setting == "auto" else f"{SIMD_VARIABLE}={setting}, but {reason}"
    return SIMD_INSTRUCTION_SETS[0], None


class SimdTier(InterleavedTier):
    """An interleaved tier whose step runs in the AVX2 kernel of its dtype where it can."""

    compiled_modules: ClassVar[tuple[str, ...]] = (
        "_cython_parallel", "_cython_interleaved", SIMD_MODULE,
    )
    cython_source = "_cython_interleaved_simd.pyx"
    bytes_per_entry = 2 + 1
    profile_layout_name = "compact"
    #: the tier whose scalar step runs where the kernel cannot (said in the notes)
    scalar_tier: ClassVar[str] = "cython-interleaved"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = super().unavailable_reason()
        return reason if reason is not None else simd_choice()[1]

    def _setup(self) -> None:
        super()._setup()
        chosen, _ = simd_choice()  # create() refused the tier where it cannot run
        _, ids, codes, _ = self._layout
        compact = ids.dtype == np.uint16 and codes.dtype == np.uint8
        #: the kernel, or None where the scalar step runs
        self._simd = require_compiled(SIMD_MODULE) if chosen != BASELINE and compact else None
        self.instruction_set = BASELINE if self._simd is None else chosen
        if chosen == BASELINE:
            self.notes.append(
                f"{SIMD_VARIABLE}=off: {self.scalar_tier}'s scalar step (no AVX2) here"
            )
        elif not compact:
            self.notes.append(
                f"the AVX2 step needs the compact layout: {self.scalar_tier}'s scalar step here"
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


@register
class CythonInterleavedSimd(SimdTier):
    name = "cython-interleaved-simd"
    exactness = "bitwise"
    description = (
        "cython-interleaved with the products and the update in AVX2 vectors, order kept"
    )


@register
class CythonInterleavedSimdF32(SimdTier):
    name = "cython-interleaved-simd-f32"
    exactness = "close"
    description = (
        "cython-interleaved-f32 in AVX2 vectors, the prediction summed in 16 partial sums"
    )
    tolerance = 1e-4
    similarity_itemsize = 4
    dtype = np.float32
    scalar_tier: ClassVar[str] = "cython-interleaved-f32"
