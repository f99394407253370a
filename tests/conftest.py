"""Shared fixtures: small URMs on which a tier's bug would show, one build cache, one run.

Only fixtures and pytest hooks live here; plain helper functions and classes are in
tests/helpers.py (``from helpers import NAME``).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from slimbench.cli import main
from slimbench.measure.check import REFERENCE_CACHE_VARIABLE, check_dataset

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


def pytest_configure(config):
    """One on-disk cache of the check's reference for the whole session, fresh each run.

    Many tests run `slimbench check` or `run` in a subprocess (or an xdist worker), each of
    which would otherwise run python-naive's 5-15 s reference again. The folder is made
    by the first process (a worker inherits it through the environment) and removed at
    the end; a run of the suite never reads what an older run of the code stored.
    """
    if hasattr(config, "workerinput"):  # an xdist worker: the controller's folder
        return
    folder = tempfile.mkdtemp(prefix="slimbench-test-references-")
    config.stash[_REFERENCE_FOLDER] = (folder, os.environ.get(REFERENCE_CACHE_VARIABLE))
    os.environ[REFERENCE_CACHE_VARIABLE] = folder


def pytest_unconfigure(config):
    if _REFERENCE_FOLDER not in config.stash:
        return
    folder, before = config.stash[_REFERENCE_FOLDER]
    shutil.rmtree(folder, ignore_errors=True)
    if before is None:
        os.environ.pop(REFERENCE_CACHE_VARIABLE, None)
    else:
        os.environ[REFERENCE_CACHE_VARIABLE] = before


_REFERENCE_FOLDER = pytest.StashKey[tuple]()


#: the slowest test files (compiles, notebooks, subprocess runs; from `--durations` of
#: clean-clone runs), slowest first. With --dist loadfile and --no-loadscope-reorder (`make
#: test`) the workers take whole files in collection order: the long ones go out first and
#: the many short ones even out the end, where one worker would otherwise wait while the
#: other runs a long file (xdist's default order is by test count: 2-test files last).
SLOWEST_FILES = (
    "test_user_tiers.py",
    "test_notebook.py",
    "test_hostile_results.py",
    "test_oob_verdicts.py",
    "test_build_cache.py",
    "test_worker_verdicts.py",
    "test_report_browser.py",
    "test_check.py",
    "test_slim_options.py",
    "test_hostile_sweep2_states.py",
)


def pytest_collection_modifyitems(items):
    """The slowest files first, each file's tests together and in their own order."""
    rank = {name: i for i, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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
