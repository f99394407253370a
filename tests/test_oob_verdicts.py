"""`slimbench check` names the file and line of an out-of-bounds access in a user's .pyx.

Two ways the seed's boundscheck-free style goes wrong: a write far past S's end crashes
the worker (SIGSEGV), and a read a few rows past a column gives a wrong S without any
crash. In both the check reruns the same steps in the bounds-checked build of the file and
names the step where that build first fails, with Cython's message at the user's line.
"""

from __future__ import annotations

import subprocess
import sys

TYPED = """\
# cython: boundscheck=False, wraparound=False
NAME = "{name}"

def train_steps(long long[::1] samples, int[::1] coo_row, int[::1] coo_col,
                double[::1] coo_data, int[::1] indptr, int[::1] indices, double[::1] data,
                double[:, ::1] S, double learning_rate):
    cdef Py_ssize_t k, p, start, end
    cdef long long s
    cdef int i
    cdef double pred, err, loss = 0.0
    for k in range(samples.shape[0]):
        s = samples[k]
        i = coo_col[s]
        start = indptr[coo_row[s]]
        end = indptr[coo_row[s] + 1]
        pred = 0.0
        for p in range(start, end):
            pred += S[indices[p] + {read_shift}, i] * data[p]
        err = coo_data[s] - pred
        loss += err * err
        for p in range(start, end):
            S[indices[p] + {write_shift}, i] += learning_rate * err * data[p]
    return loss
"""
READ_LINE, WRITE_LINE = 18, 22  # the lines of the prediction's read and of the update


def test_check_names_the_line_of_a_crashing_write_and_of_a_wrong_read(tmp_path, build_cache_env):
    crash = tmp_path / "far_write.pyx"
    crash.write_text(TYPED.format(name="far-write", read_shift=0, write_shift=100_000_000))
    wrong = tmp_path / "near_read.pyx"
    wrong.write_text(TYPED.format(name="near-read", read_shift=5, write_shift=0))
    assert "S[indices[p] + 5, i]" in wrong.read_text().splitlines()[READ_LINE - 1]
    assert "+ 100000000, i] +=" in crash.read_text().splitlines()[WRITE_LINE - 1]
    proc = subprocess.run(
        [sys.executable, "-m", "slimbench.cli", "check"]
        + ["--tier-file", str(crash), "--tier-file", str(wrong)],
        capture_output=True,
        text=True,
        env=build_cache_env,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip()}
    oob = "IndexError: Out of bounds on buffer access (axis 0)"
    assert "CRASHED" in lines["far-write"] and "crashed (SIGSEGV)" in lines["far-write"]
    assert f"far_write.pyx:{WRITE_LINE}: {oob}" in lines["far-write"], lines["far-write"]
    # no crash here: what lies past S's end decides whether S first differs or the loss
    # becomes non-finite; either way the checked build's line follows
    assert "FAIL" in lines["near-read"]
    assert "first differs at step" in lines["near-read"] or "non-finite" in lines["near-read"]
    assert "the bounds-checked build of near_read.pyx first fails at step" in lines["near-read"]
    assert f"near_read.pyx:{READ_LINE}: {oob}" in lines["near-read"], lines["near-read"]


def test_a_difference_not_located_still_goes_to_the_checked_build(monkeypatch, check_urm):
    """Garbage read past S's end may make the bisection's probes diverge: no step is found,
    and the checked build must still run, over all the checked steps (a CI run hit this)."""
    from slimbench.measure import check, diagnose
    from slimbench.measure.check import CheckResult

    sent = {}
    monkeypatch.setattr(
        diagnose, "first_difference", lambda *a, **k: "while locating the difference: diverged"
    )
    monkeypatch.setattr(
        check,
        "_locate_out_of_bounds",
        lambda result, name, cls, data, opts, steps, workers: sent.setdefault("steps", steps),
    )
    result = CheckResult(
        tier="cython-rand", exactness="bitwise", verdict="fail", detail="S differs"
    )
    check._diagnose(result, "cython-rand", check_urm, 7, 0.01, 3, {}, None, None)
    assert "while locating the difference" in result.detail
    assert sent == {"steps": 3 * check_urm.nnz}
