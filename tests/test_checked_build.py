"""The checked build of a user's .pyx: the file's own directives are overridden, line
numbers kept, and an out-of-bounds access is named by the user's file and line."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from slimbench.impls import get_tier, registry
from slimbench.impls.build_inputs import HashedFile
from slimbench.impls.checked_build import checked_text, find_checked_error, load_checked
from slimbench.impls.user_build import LoadedSource
from slimbench.impls.user_tier import load_checked_tier_file

# The seed's style (checks off in the header, a decorator and a with block too), and a
# profile read one past its end: harmless but for the last user, whose stop is nnz.
OUT_OF_BOUNDS = """\
# cython: boundscheck=False, wraparound=False, initializedcheck=False
cimport cython


@cython.boundscheck(False)
cdef double _loop(long[:] samples, int[:] coo_row, int[:] coo_col, double[:] coo_data,
                  int[:] indptr, int[:] indices, double[:] data, double[:, :] S,
                  double lr) noexcept nogil:
    cdef double loss = 0.0, pred, err
    cdef long k, index
    cdef int u, i, p, start, stop
    with cython.boundscheck(False):
        for k in range(samples.shape[0]):
            index = samples[k]
            u = coo_row[index]
            i = coo_col[index]
            start, stop = indptr[u], indptr[u + 1]
            pred = 0.0
            for p in range(start, stop + 1):
                pred = pred + S[indices[p], i] * data[p]
            err = coo_data[index] - pred
            loss = loss + err * err
    return loss


def train_steps(samples, coo_row, coo_col, coo_data, indptr, indices, data, S, learning_rate):
    return _loop(samples, coo_row, coo_col, coo_data, indptr, indices, data, S, learning_rate)
"""
OOB_LINE = 20  # the line of `pred = pred + S[indices[p], i] * data[p]`

RUN_LAST_USER = """
import sys
import numpy as np
from slimbench.impls.checked_build import load_checked
from slimbench.measure.check import check_dataset

d = check_dataset()
train_steps = load_checked(sys.argv[1]).module.train_steps
S = np.zeros((d.n_items, d.n_items))
samples = np.array([0, d.nnz - 1], dtype=np.int64)  # the last interaction: the last user
args = (d.rows.astype(np.int32), d.indices, d.ratings, d.indptr, d.indices, d.ratings)
print(train_steps(samples, *(np.array(a) for a in args), S, 0.01))
"""


def test_the_rewrite_forces_the_checks_and_keeps_every_line():
    source = OUT_OF_BOUNDS + "@cython.wraparound(True)\n@cython.initializedcheck(False)\n"
    rewritten = checked_text(source)
    assert len(rewritten.splitlines()) == len(source.splitlines())
    lines = rewritten.splitlines()
    assert lines[0] == "# cython: boundscheck=True, wraparound=False, initializedcheck=True"
    assert lines[4] == "@cython.boundscheck(True)"
    assert lines[11] == "    with cython.boundscheck(True):"
    assert lines[-2:] == ["@cython.wraparound(False)", "@cython.initializedcheck(True)"]
    changed = [n for n, (a, b) in enumerate(zip(source.splitlines(), lines, strict=True)) if a != b]
    assert changed == [0, 4, 11, len(lines) - 2, len(lines) - 1]


def test_an_out_of_bounds_read_is_named_by_file_and_line(tmp_path, monkeypatch):
    path = tmp_path / "oob.pyx"
    path.write_text(OUT_OF_BOUNDS)
    monkeypatch.setenv("SLIMBENCH_CACHE", str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-c", RUN_LAST_USER, str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr  # nogil: printed, not raised
    loaded = load_checked(path)  # the same build, from the cache (imported, not run)
    assert loaded.cache_hit and "checked" in loaded.module.__name__
    found = find_checked_error(proc.stderr, loaded)
    assert found is not None, proc.stderr
    assert str(found) == f"oob.pyx:{OOB_LINE}: IndexError: Out of bounds on buffer access (axis 0)"
    assert found.path == path.resolve() and found.line == OOB_LINE
    before = set(registry._TIERS)
    try:  # the same build as a tier (how a worker runs it to locate a crash)
        name = load_checked_tier_file(path)
        tier = get_tier(name)
        assert tier.origin["checked"] is True and tier.train_steps is loaded.module.train_steps
    finally:
        for added in set(registry._TIERS) - before:
            registry._TIERS.pop(added)


def _loaded(path: Path, module_name: str, *includes: Path) -> LoadedSource:
    files = tuple(HashedFile(p, "0" * 64) for p in (path, *includes))
    return LoadedSource(types.ModuleType(module_name), path, "0" * 64, 0.0, True, files)


@pytest.mark.parametrize(
    "stderr, expected",
    [
        (  # an ordinary traceback: the innermost frame in the user's files counts
            'Traceback (most recent call last):\n  File "run.py", line 3, in <module>\n'
            '  File "slimbench_checked_mine_ab.pyx", line 7, in slimbench_checked_mine_ab.f\n'
            '  File "steps.pxi", line 4, in slimbench_checked_mine_ab.g\n'
            "IndexError: Out of bounds on buffer access (axis 1)\n",
            "steps.pxi:4: IndexError: Out of bounds on buffer access (axis 1)",
        ),
        (  # a memoryview used before it was set
            "Exception ignored in: 'slimbench_checked_mine_ab._loop'\n"
            "Traceback (most recent call last):\n"
            '  File "slimbench_checked_mine_ab.pyx", line 12, in slimbench_checked_mine_ab._loop\n'
            "UnboundLocalError: Memoryview is not initialized\n",
            "mine.pyx:12: UnboundLocalError: Memoryview is not initialized",
        ),
        ("IndexError: Out of bounds on buffer access (axis 0)\n", None),  # no line: not found
        ('  File "other.pyx", line 3, in other.f\nIndexError: x\n', None),  # not the user's
    ],
)
def test_the_printed_error_is_read_back_in_the_users_terms(stderr, expected, tmp_path):
    loaded = _loaded(tmp_path / "mine.pyx", "slimbench_checked_mine_ab", tmp_path / "steps.pxi")
    found = find_checked_error(stderr, loaded)
    assert (None if found is None else str(found)) == expected
