"""The cross-check catches real bugs, and `slimbench check` reports them by name."""

from __future__ import annotations

import pytest

from slimbench.cli import main
from slimbench.impls import registered
from slimbench.impls.python_indptr import PythonIndptr
from slimbench.measure.check import check_tiers


def _drop_last_item_loop(URM_train, URM_train_coo, S, lr, rng, n_steps):
    """python-indptr with the course repository's old bug: the profile slice ends one short."""
    loss = 0.0
    for _ in range(n_steps):
        k = rng.integers(0, URM_train_coo.nnz)
        u, i, r = URM_train_coo.row[k], URM_train_coo.col[k], URM_train_coo.data[k]
        start, end = URM_train.indptr[u], URM_train.indptr[u + 1] - 1
        profile, ratings = URM_train.indices[start:end], URM_train.data[start:end]
        err = r - ratings.dot(S[profile, i])
        loss += err**2
        S[profile, i] += lr * err * ratings
    return loss, n_steps


class DropsLastItem(PythonIndptr):
    name = "faulty-drops-last-item"
    description = "test fault: profile slice drops the last item"

    @staticmethod
    def _loop():
        return _drop_last_item_loop


def _reversed_sum_loop(URM_train, URM_train_coo, S, lr, rng, n_steps):
    """A subtle fault: the prediction sums the profile in reverse order (last bits only)."""
    loss = 0.0
    for _ in range(n_steps):
        k = rng.integers(0, URM_train_coo.nnz)
        u, i, r = URM_train_coo.row[k], URM_train_coo.col[k], URM_train_coo.data[k]
        start, end = URM_train.indptr[u], URM_train.indptr[u + 1]
        profile, ratings = URM_train.indices[start:end], URM_train.data[start:end]
        pred = 0.0
        for p in range(end - start - 1, -1, -1):
            pred += S[profile[p], i] * ratings[p]
        err = r - pred
        loss += err**2
        S[profile, i] += lr * err * ratings
    return loss, n_steps


class ReversedSum(PythonIndptr):
    name = "faulty-reversed-sum"
    description = "test fault: reassociated prediction sum"

    @staticmethod
    def _loop():
        return _reversed_sum_loop


@pytest.mark.parametrize("fault", [DropsLastItem, ReversedSum])
def test_check_catches_an_injected_fault(fault, check_urm):
    with registered(fault):
        results = {r.tier: r for r in check_tiers(["python-indptr", fault.name], data=check_urm)}
    assert results["python-indptr"].passed
    assert results[fault.name].verdict == "fail"
    assert results[fault.name].failed
    assert "entries of S differ" in results[fault.name].detail


def test_check_cli_passes_for_the_seed_tiers(capsys):
    assert main(["check", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    for name, klass in [
        ("python-naive", "bitwise"),
        ("python-indptr", "bitwise"),
        ("cython-untyped", "bitwise"),
        ("cython-typed", "bitwise"),
        ("cython-rand", "replay"),
    ]:
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert klass in line and "PASS" in line


def test_check_cli_fails_naming_the_faulty_tier(capsys):
    with registered(DropsLastItem):
        code = main(["check", "--tiers", "python-naive,faulty-drops-last-item,cython-rand"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: faulty-drops-last-item" in out
    assert "cython-rand" in out and "FAILED: faulty-drops-last-item\n" in out


def test_check_cli_unknown_tier_suggests_the_closest(capsys):
    assert main(["check", "--tiers", "cython-rnd"]) == 2
    err = capsys.readouterr().err
    assert "unknown tier 'cython-rnd'" in err and "Did you mean 'cython-rand'?" in err
