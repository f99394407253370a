"""The identity of a run of the reference tier: what its S, losses and draws depend on.

A leaf of the measure layer, shared by the check (its per-process and on-disk reference
caches) and the diagnosis (its per-process step logs), so neither imports the other.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..impls import TrainingData, get_tier

#: the tier every other is checked against: the seed's own loop, line for line
REFERENCE = "python-naive"


def reference_key(data: TrainingData, seed: int, epochs: int, lr: float, slim: dict | None):
    """What python-naive's S, losses and draws depend on: its class, the data's arrays
    (shape, dtypes and bytes), the seed, the epochs, the learning rate and SLIM's options."""
    digest = hashlib.sha256(repr(data.csr.shape).encode())
    for array in (data.indptr, data.indices, data.ratings, data.rows):
        digest.update(array.dtype.str.encode())
        digest.update(np.ascontiguousarray(array))  # the buffer itself: no copy
    options = tuple(sorted((k, repr(v)) for k, v in (slim or {}).items()))
    return (get_tier(REFERENCE), digest.hexdigest(), seed, epochs, repr(float(lr)), options)
