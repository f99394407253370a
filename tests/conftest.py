"""Shared fixtures: small URMs on which a tier's bug would show, one build cache, one run.

Only fixtures and pytest hooks live here; plain helper functions and classes are in
tests/helpers.py (``from helpers import NAME``).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from slimbench.cli import main
from slimbench.measure.check import check_dataset

from helpers import TINY_RUN_TIERS


@pytest.fixture(scope="session")
def small_urm():
    """60 users x 40 items: one single-item user, one user holding 37 items, half stars."""
    return check_dataset(seed=11, n_users=60, n_items=40)


@pytest.fixture(scope="session")
def check_urm():
    """The `slimbench check` dataset."""
    return check_dataset()


# -- one build cache for the tests that compile a user's tier -------------------------------


@pytest.fixture(scope="session")
def build_cache_dir(request, tmp_path_factory) -> Path:
    """The session's build cache: a source that several tests compile is compiled once.

    Kept in pytest's cache folder when that plugin is on, so a second run of the suite
    compiles nothing (a build's key covers all its inputs); a fresh folder otherwise. Tests
    about the cache itself use their own folders.
    """
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("slimbench-build"))
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture(scope="module")
def build_cache(build_cache_dir) -> Path:
    """SLIMBENCH_CACHE names the session's build cache while the module's tests run (for
    builds in this process and in the workers and subprocesses it starts)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLIMBENCH_CACHE", str(build_cache_dir))
        yield build_cache_dir


@pytest.fixture(scope="session")
def build_cache_env(build_cache_dir) -> dict[str, str]:
    """An environment for a `slimbench` subprocess that builds into the session's cache."""
    return {**os.environ, "SLIMBENCH_CACHE": str(build_cache_dir)}


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


@pytest.fixture
def interactive_sigint():
    """SIGINT handled as in an interactive shell, for tests that press Ctrl-C in-process.

    A job started in the background (``make test &``, some CI runners) inherits SIGINT
    ignored, and the harness rightly leaves an ignored signal ignored (as nohup's SIGHUP):
    such a test would then see no Ctrl-C at all.
    """
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)
