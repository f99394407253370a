"""The generator's fast look-ups give exactly what the slow ones gave: the same data."""

from __future__ import annotations

import numpy as np
import pytest

from slimbench.data.synthetic import _HeldKeys
from slimbench.data.tastes import _guide_table, _guided_search, _offset_cdfs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_guided_search_is_searchsorted(seed):
    rng = np.random.default_rng(seed)
    rows, k = 300, 37
    weights = rng.dirichlet(np.full(k, 0.05), size=rows)
    weights[:, rng.integers(0, k, 5)] = 0.0  # zero-weight tastes: repeated CDF values
    weights[0] = 0.0
    weights[0, 3] = 1.0  # a row with one step
    cdf = _offset_cdfs(weights)
    owners = np.sort(rng.integers(0, rows, 20_000))
    keys = owners + rng.random(owners.size)
    # keys on the steps themselves, where side="right" matters
    on_step = rng.integers(0, cdf.size, 500)
    keys = np.concatenate([keys, cdf[on_step]])
    owners = np.concatenate([owners, np.minimum(np.floor(cdf[on_step]).astype(np.int64), rows - 1)])
    for buckets in (1, k, 4 * k):
        guide = _guide_table(cdf, rows, k, buckets)
        got = _guided_search(cdf, guide, k, owners, keys)
        assert np.array_equal(got, np.searchsorted(cdf, keys, side="right")), buckets


def test_held_keys_is_membership():
    rng = np.random.default_rng(0)
    held = _HeldKeys(10_000)
    chunks = [np.unique(rng.integers(0, 10_000, 700)) for _ in range(3)]
    seen = np.zeros(10_000, dtype=bool)
    for chunk in chunks:
        new = chunk[~seen[chunk]]
        held.add(new)
        seen[new] = True
        probe = rng.integers(0, 10_000, 2_000)
        assert np.array_equal(held.holds(probe), seen[probe])
