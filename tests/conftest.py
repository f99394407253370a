"""Shared fixtures: small URMs on which a tier's bug would show, one small run.

Only fixtures and pytest hooks live here; plain helper functions and classes are in
tests/helpers.py (``from helpers import NAME``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import TINY_RUN_TIERS

from slimbench.cli import main
from slimbench.measure.check import check_dataset


@pytest.fixture(scope="session")
def small_urm():
    """60 users x 40 items: one single-item user, one user holding 37 items, half stars."""
    return check_dataset(seed=11, n_users=60, n_items=40)


@pytest.fixture(scope="session")
def check_urm():
    """The `slimbench check` dataset."""
    return check_dataset()


# -- one small run, read by the tests of its outputs ------------------------------------------


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> tuple[int, Path]:
    """`slimbench run` of three fast tiers on synthetic-tiny: its exit code and folder.

    Tests only read the folder (the report and compare tests write elsewhere).
    """
    out = tmp_path_factory.mktemp("run")
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", TINY_RUN_TIERS]
    code = main([*argv, "--budget", "0.6", "--rounds", "5", "--out", str(out)])
    return code, out


def pytest_addoption(parser):
    parser.addoption(
        "--bench-dataset",
        default=None,
        help="dataset spec for tests/benchmarks (default: synthetic-ml10m:scale=0.1,"
        " or synthetic-tiny with --benchmark-disable)",
    )
