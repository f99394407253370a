"""The tiers: one SLIM MSE SGD step loop written several ways, selected by name.

>>> from slimbench.impls import create, tier_names
>>> tier = create("cython-rand", urm, seed=0, learning_rate=1e-6)   # setup
>>> tier.run(1_000_000)                                              # steps
>>> S = tier.similarity()                                            # S[j, i]
"""

import importlib

from .base import (
    EXACTNESS_ALIASES,
    EXACTNESS_CLASSES,
    ReplayTier,
    RunResult,
    StreamBlockTier,
    Tier,
    make_rng,
)
from .errors import (
    InvalidInputError,
    SlimBenchError,
    TierUnavailableError,
    TrainingDiverged,
    UnknownTierError,
)
from .registry import accepts_option, create, get_tier, register, registered, tier_names
from .urm import TrainingData, prepare_urm

#: The tier modules, slowest first; importing one registers its tiers in this order.
TIER_MODULES: tuple[str, ...] = (
    "python_naive",  # python-naive (seed In [25]), the reference
    "python_indptr",  # python-indptr (In [29]) and cython-untyped (In [31])
    "cython_typed",  # cython-typed (In [34])
    "cython_rand",  # cython-rand (In [40])
    "numba_loop",  # numba: In [40] under numba.njit
    "cython_transposed",  # cython-transposed: W = S^T
    "cython_bucketed",  # cython-bucketed: draws grouped by item, 1 thread
    "dask_bucketed",  # dask-bucketed(-f32): column blocks on Dask workers (optional extra)
    "cython_parallel",  # cython-parallel, cython-parallel-f32: OpenMP over items
    "cython_interleaved",  # cython-interleaved(-f32): 3-byte profiles, two items in flight
    "cython_interleaved_simd",  # cython-interleaved-simd(-f32): its step in AVX2
    "floor",  # floor: reads the profiles only (the bound, not a trainer)
)
for _module in TIER_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "TIER_MODULES",
    "EXACTNESS_ALIASES",
    "EXACTNESS_CLASSES",
    "InvalidInputError",
    "ReplayTier",
    "RunResult",
    "StreamBlockTier",
    "SlimBenchError",
    "Tier",
    "TierUnavailableError",
    "TrainingData",
    "TrainingDiverged",
    "UnknownTierError",
    "accepts_option",
    "create",
    "get_tier",
    "make_rng",
    "prepare_urm",
    "register",
    "registered",
    "tier_names",
]
