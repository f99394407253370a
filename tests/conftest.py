"""Shared fixtures: small URMs on which a tier's bug would show.

Only fixtures and pytest hooks live here; plain helper functions and classes are in
tests/helpers.py (``from helpers import NAME``).
"""

from __future__ import annotations

import pytest

from slimbench.measure.check import check_dataset


@pytest.fixture(scope="session")
def small_urm():
    """60 users x 40 items: one single-item user, one user holding 37 items, half stars."""
    return check_dataset(seed=11, n_users=60, n_items=40)


@pytest.fixture(scope="session")
def check_urm():
    """The `slimbench check` dataset."""
    return check_dataset()


def pytest_addoption(parser):
    parser.addoption(
        "--bench-dataset",
        default=None,
        help="dataset spec for tests/benchmarks (default: synthetic-ml10m:scale=0.1,"
        " or synthetic-tiny with --benchmark-disable)",
    )
