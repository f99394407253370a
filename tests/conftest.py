"""Shared fixtures: small URMs on which a tier's bug would show."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.measure.check import check_dataset


@pytest.fixture(scope="session")
def small_urm():
    """60 users x 40 items: one single-item user, one user holding 37 items, half stars."""
    return check_dataset(seed=11, n_users=60, n_items=40)


@pytest.fixture(scope="session")
def check_urm():
    """The `slimbench check` dataset."""
    return check_dataset()


def random_urm(seed: int, n_users: int, n_items: int, density: float) -> sp.csr_matrix:
    """A plain random URM with half-star ratings (every user has at least one item)."""
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < density) * rng.integers(1, 11, (n_users, n_items))
    dense[np.arange(n_users), rng.integers(0, n_items, n_users)] = 8
    return sp.csr_matrix(dense / 2.0)


def pytest_addoption(parser):
    parser.addoption(
        "--bench-dataset",
        default=None,
        help="dataset spec for tests/benchmarks (default: synthetic-ml10m:scale=0.1,"
        " or synthetic-tiny with --benchmark-disable)",
    )
